using MMInterp.Grains.Contracts.Jobs;
using MMInterp.Grains.Lifecycle;

namespace MMInterp.Grains.TrainingRuns;

[GenerateSerializer]
public sealed class TrainingRunState : IJobState<TrainingRunSpec>, ILaunchCounted
{
    [Id(0)] public TrainingRunSpec? Spec { get; set; }
    [Id(1)] public JobPhase Phase { get; set; } = JobPhase.Pending;
    [Id(2)] public RunCheckpoint? Checkpoint { get; set; }
    [Id(3)] public string? Error { get; set; }
    [Id(4)] public DateTimeOffset UpdatedAt { get; set; }
    /// <summary>How many times the run was (re)started by an activation: 1 for a run that never crashed.</summary>
    [Id(5)] public int Starts { get; set; }
    [Id(6)] public string? LastSilo { get; set; }
    /// <summary>The checkpoint step the last launch resumed from; 0 when it started fresh.</summary>
    [Id(7)] public long ResumedFromStep { get; set; }
    /// <summary>Transient failures in a row (see JobRetry).</summary>
    [Id(8)] public int TransientFailures { get; set; }
}
