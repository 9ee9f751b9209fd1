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
