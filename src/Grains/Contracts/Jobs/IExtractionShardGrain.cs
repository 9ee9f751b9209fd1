namespace MMInterp.Grains.Contracts.Jobs;

/// <summary>Runs one shard on an accelerator silo. Key: "{jobId}/{index}".</summary>
public interface IExtractionShardGrain : IGrainWithStringKey
{
    /// <summary>Shard work runs for minutes, far past Orleans' default 30 s response timeout.</summary>
    [ResponseTimeout("02:00:00")]
    Task<ShardOutput> Run(ShardAssignment assignment);
}
