using MMInterp.Grains.Contracts.Jobs;

namespace MMInterp.Grains.TrainingRuns;

/// <summary>One run of a pack: its id, its spec, the checkpoint to resume from, and its own stop signal.</summary>
public sealed record PackMember(string RunId, TrainingRunSpec Spec, RunCheckpoint? ResumeFrom, CancellationToken Stop = default);
