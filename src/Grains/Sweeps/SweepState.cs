using MMInterp.Grains.Contracts.Jobs;
using MMInterp.Grains.Lifecycle;

namespace MMInterp.Grains.Sweeps;

[GenerateSerializer]
public sealed class SweepState : IJobState<SweepSpec>
{
    [Id(0)] public SweepSpec? Spec { get; set; }
    [Id(1)] public JobPhase Phase { get; set; } = JobPhase.Pending;
    /// <summary>run id -> axis label.</summary>
    [Id(2)] public Dictionary<string, string> Runs { get; set; } = new();
    [Id(3)] public List<SweepRunResult> Results { get; set; } = new();
    [Id(4)] public DateTimeOffset UpdatedAt { get; set; }
    /// <summary>Why it failed, or which of its points failed and why (also when others succeeded).</summary>
    [Id(5)] public string? Error { get; set; }
    /// <summary>Transient failures in a row (see JobRetry).</summary>
    [Id(6)] public int TransientFailures { get; set; }
}
