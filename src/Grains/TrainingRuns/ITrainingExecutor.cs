using MMInterp.Grains.Contracts.Jobs;
using MMInterp.Grains.Placement;

namespace MMInterp.Grains.TrainingRuns;

/// <summary>
/// The kernel-backed SAE training behind a TrainingRun grain, registered in each accelerator silo's services.
/// It trains from <paramref name="resumeFrom"/> (or from scratch), saves a checkpoint every spec.CheckpointEvery steps
/// and reports each through <paramref name="onCheckpoint"/>; resuming from a checkpoint gives the same weights as an
/// uninterrupted run. Tensors live on <paramref name="slot"/>'s device (the slot the run's grain holds on this silo).
/// After every step it hands that step's figures to <paramref name="onStep"/> (on the training thread: keep it cheap).
/// Returns the final checkpoint.
/// </summary>
public interface ITrainingExecutor
{
    Task<RunCheckpoint> TrainAsync(string runId, TrainingRunSpec spec, RunCheckpoint? resumeFrom,
        Func<RunCheckpoint, Task> onCheckpoint, DeviceSlot slot, CancellationToken ct, Action<TrainingFigures>? onStep = null);
}
