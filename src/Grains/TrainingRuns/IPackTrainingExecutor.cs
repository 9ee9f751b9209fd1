using MMInterp.Grains.Placement;
using MMInterp.Grains.Contracts.Jobs;

namespace MMInterp.Grains.TrainingRuns;

/// <summary>
/// The kernel-backed training behind a TrainingPack grain: several runs over the same activation set, hook, batch
/// size, steps and seed trained together, each batch read and shuffled once for all of them. Each member resumes from
/// its own checkpoint (null: fresh), reports its checkpoints under its run id, keeps its own metric series and
/// registers its own dictionary; what it ends with equals a run of its own. Stop (a member's run was cancelled) drops
/// that member while the others go on; a member that diverges or has a bad config fails alone. Anything else (the
/// set is missing, the silo stops) ends the whole call, as for a single run.
/// </summary>
public interface IPackTrainingExecutor
{
    /// <returns>Per run id: its final checkpoint, or why it failed; stopped members are absent.</returns>
    /// <param name="slot">The device slot of this silo the pack holds while it trains (its tensors go there).</param>
    Task<IReadOnlyDictionary<string, PackOutcome>> TrainAsync(IReadOnlyList<PackMember> members,
        Func<string, RunCheckpoint, Task> onCheckpoint, DeviceSlot slot, CancellationToken ct);
}
