namespace MMInterp.Grains.Contracts.Jobs;

/// <summary>Splits a dataset into shards, dispatches them to accelerator silos, tracks and retries them. Key: job id.</summary>
public interface IExtractionJobGrain : IGrainWithStringKey
{
    /// <summary>Starts the job; starting it again with the same spec is a no-op, with another spec an error.</summary>
    Task<JobProgress> Start(ExtractionJobSpec spec);

    Task<JobProgress> Status();

    /// <summary>Shard outputs so far, by shard index.</summary>
    Task<IReadOnlyList<ShardOutput>> Outputs();

    Task Cancel();
}

/// <summary>Runs one shard on an accelerator silo. Key: "{jobId}/{index}".</summary>
public interface IExtractionShardGrain : IGrainWithStringKey
{
    /// <summary>Shard work runs for minutes, far past Orleans' default 30 s response timeout.</summary>
    [ResponseTimeout("02:00:00")]
    Task<ShardOutput> Run(ShardAssignment assignment);
}
