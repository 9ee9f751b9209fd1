using MMInterp.Grains.Contracts.Jobs;

namespace MMInterp.Grains.TrainingRuns;

/// <summary>How a member ended: Final when it completed, Error when it failed.</summary>
public sealed record PackOutcome(RunCheckpoint? Final, string? Error);
