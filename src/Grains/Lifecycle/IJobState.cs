using MMInterp.Grains.Contracts.Jobs;

namespace MMInterp.Grains.Lifecycle;

/// <summary>What every persisted job, run and experiment state has: where it stands and why it failed.</summary>
public interface IJobState
{
    JobPhase Phase { get; set; }
    string? Error { get; set; }
    DateTimeOffset UpdatedAt { get; set; }
    /// <summary>Transient failures in a row (reset by progress); at <see cref="JobOptions.MaxAttempts"/> the job fails.</summary>
    int TransientFailures { get; set; }
}

/// <summary>A job state that also keeps the spec its job was started with (null until the first Start).</summary>
public interface IJobState<TSpec> : IJobState where TSpec : class
{
    TSpec? Spec { get; set; }
}
