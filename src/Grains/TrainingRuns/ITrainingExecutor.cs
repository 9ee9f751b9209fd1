using MMInterp.Grains.Contracts.Jobs;

namespace MMInterp.Grains.TrainingRuns;

/// <summary>
/// The kernel-backed SAE training behind a TrainingRun grain, registered in each accelerator silo's services.
/// It trains from <paramref name="resumeFrom"/> (or from scratch), saves a checkpoint every spec.CheckpointEvery steps
/// and reports each through <paramref name="onCheckpoint"/>; resuming from a checkpoint gives the same weights as an
/// uninterrupted run. Returns the final checkpoint.
/// </summary>
public interface ITrainingExecutor
{
    Task<RunCheckpoint> TrainAsync(string runId, TrainingRunSpec spec, RunCheckpoint? resumeFrom,
        Func<RunCheckpoint, Task> onCheckpoint, CancellationToken ct);
}
