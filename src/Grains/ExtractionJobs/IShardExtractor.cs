using MMInterp.Grains.Contracts.Jobs;

namespace MMInterp.Grains.ExtractionJobs;

/// <summary>
/// The kernel-backed work behind extraction, registered in each silo's services. Grains call it; they do not compute.
/// Implementations must be idempotent per shard: a re-run writes the same content-addressed artefacts.
/// </summary>
public interface IShardExtractor
{
    Task<ShardOutput> ExtractAsync(ShardAssignment assignment, string silo, CancellationToken ct);

    /// <summary>Writes the activation-set index over all shard outputs and registers it; returns the set id.</summary>
    Task<string> FinalizeAsync(string jobId, ExtractionJobSpec spec, IReadOnlyList<ShardOutput> outputs, CancellationToken ct);
}
