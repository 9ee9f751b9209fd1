using MMInterp.Grains.Contracts.Experiments;
using MMInterp.Grains.Contracts.Jobs;
using MMInterp.Grains.Lifecycle;

namespace MMInterp.Grains.Experiments;

[GenerateSerializer]
public sealed class ExperimentState : IJobState<AnalysisSpec>
{
    [Id(0)] public AnalysisSpec? Spec { get; set; }
    [Id(1)] public JobPhase Phase { get; set; } = JobPhase.Pending;
    [Id(2)] public string? Error { get; set; }
    [Id(3)] public DateTimeOffset UpdatedAt { get; set; }
    [Id(4)] public int Starts { get; set; }
    /// <summary>Transient failures in a row (see JobRetry).</summary>
    [Id(5)] public int TransientFailures { get; set; }
}
