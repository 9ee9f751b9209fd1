using MMInterp.Grains.Contracts.Jobs;
using MMInterp.Grains.Lifecycle;

namespace MMInterp.Grains.TrainingRuns;

[GenerateSerializer]
public sealed class TrainingPackState : IJobState<TrainingPackSpec>, ILaunchCounted
{
    [Id(0)] public TrainingPackSpec? Spec { get; set; }
    [Id(1)] public JobPhase Phase { get; set; } = JobPhase.Pending;
    [Id(2)] public string? Error { get; set; }
    [Id(3)] public DateTimeOffset UpdatedAt { get; set; }
    /// <summary>run id -> its newest checkpoint (also passed on to the run): where a relaunch resumes that member.</summary>
    [Id(4)] public Dictionary<string, RunCheckpoint> Checkpoints { get; set; } = new();
    /// <summary>Members whose run was cancelled: not trained again.</summary>
    [Id(5)] public HashSet<string> Dropped { get; set; } = new();
    /// <summary>Members whose outcome was delivered to their run: not trained again.</summary>
    [Id(6)] public HashSet<string> Settled { get; set; } = new();
    [Id(7)] public int Starts { get; set; }
    [Id(8)] public string? LastSilo { get; set; }
    [Id(9)] public long ResumedFromStep { get; set; }
    /// <summary>Transient failures in a row (see JobRetry).</summary>
    [Id(10)] public int TransientFailures { get; set; }
}
