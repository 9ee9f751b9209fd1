using MMInterp.Grains.Contracts.Jobs;

namespace MMInterp.Grains.Jobs;

/// <summary>What every persisted job, run and experiment state has: where it stands and why it failed.</summary>
public interface IJobState
{
    JobPhase Phase { get; set; }
    string? Error { get; set; }
    DateTimeOffset UpdatedAt { get; set; }
}
