using MMInterp.Grains.Contracts.Jobs;
using MMInterp.Grains.Lifecycle;

namespace MMInterp.Grains.ExtractionJobs;

/// <summary>Persisted progress of one extraction job: every shard's attempts and output.</summary>
[GenerateSerializer]
public sealed class ExtractionJobState : IJobState<ExtractionJobSpec>
{
    [Id(0)] public ExtractionJobSpec? Spec { get; set; }
    [Id(1)] public JobPhase Phase { get; set; } = JobPhase.Pending;
    [Id(2)] public Dictionary<int, ShardOutput> Done { get; set; } = new();
    [Id(3)] public Dictionary<int, int> Attempts { get; set; } = new();
    [Id(4)] public string? Error { get; set; }
    [Id(5)] public string? ActivationSetId { get; set; }
    [Id(6)] public DateTimeOffset UpdatedAt { get; set; }
    /// <summary>Transient failures in a row (see JobRetry).</summary>
    [Id(7)] public int TransientFailures { get; set; }
}
