using MMInterp.Grains.Contracts.Jobs;

namespace MMInterp.Grains.TrainingRuns;

/// <summary>One run of a pack: its id, its spec, the checkpoint to resume from, its own stop signal, and where its
/// figures go after every step (live progress, kept in grain memory; called on the training thread, so it must be
/// cheap and must not block).</summary>
public sealed record PackMember(string RunId, TrainingRunSpec Spec, RunCheckpoint? ResumeFrom, CancellationToken Stop = default,
    Action<TrainingFigures>? Stepped = null);
