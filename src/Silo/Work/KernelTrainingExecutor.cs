using MMInterp.Grains.Contracts.Jobs;
using MMInterp.Grains.Placement;
using MMInterp.Grains.TrainingRuns;

namespace MMInterp.Silo.Work;

/// <summary>
/// A single SAE training run on this silo: a pack of one member (<see cref="KernelPackTrainingExecutor"/>), so a run
/// and a sweep's packed runs train, checkpoint, record metrics and register dictionaries the same way. Unlike a pack
/// member, a run of one that diverges fails by exception (the grain classifies it as permanent).
/// </summary>
public sealed class KernelTrainingExecutor(KernelPackTrainingExecutor packs) : ITrainingExecutor
{
    public async Task<RunCheckpoint> TrainAsync(string runId, TrainingRunSpec spec, RunCheckpoint? resumeFrom,
        Func<RunCheckpoint, Task> onCheckpoint, DeviceSlot slot, CancellationToken ct, Action<TrainingFigures>? onStep = null)
    {
        var outcomes = await packs.TrainAsync([new PackMember(runId, spec, resumeFrom, Stepped: onStep)], (_, c) => onCheckpoint(c), slot, isolate: false, ct);
        var outcome = outcomes[runId];
        return outcome.Final ?? throw new InvalidOperationException($"training run {runId}: {outcome.Error}");
    }
}
