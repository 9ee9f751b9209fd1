namespace MMInterp.Grains.Contracts.Jobs;

/// <summary>
/// Runs trained together over one read of their data: each member is an ordinary TrainingRun (its own id, spec,
/// checkpoints, metric series, dictionary, status and cancel) whose spec names this pack; the pack only shares the
/// reading. Every member shares the activation set, hook, batch size, steps, seed and log/checkpoint cadence, so
/// each sees exactly the batches a run of its own would.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record TrainingPackSpec([property: Id(0)] IReadOnlyList<TrainingPackMember> Members)
{
    public const int MaxMembers = 64;

    public TrainingPackSpec Validated(string packId)
    {
        if (Members is null || Members.Count == 0) throw new ArgumentException($"training pack '{packId}': no members");
        if (Members.Count > MaxMembers) throw new ArgumentException($"training pack '{packId}': {Members.Count} members is more than the limit of {MaxMembers}");
        if (Members.Select(m => m.RunId).Distinct().Count() != Members.Count) throw new ArgumentException($"training pack '{packId}': a run appears twice");
        foreach (var m in Members)
        {
            m.Spec.Validated();
            if (m.Spec.PackId != packId) throw new ArgumentException($"training pack '{packId}': run '{m.RunId}' names pack '{m.Spec.PackId}'");
            if (!SharesRead(m.Spec, Members[0].Spec))
                throw new ArgumentException($"training pack '{packId}': run '{m.RunId}' does not share the activation set, hook, batch size, steps, seed and cadence of '{Members[0].RunId}'");
        }
        return this;
    }

    /// <summary>Whether two runs see the same batches in the same order and checkpoint at the same steps.</summary>
    public static bool SharesRead(TrainingRunSpec a, TrainingRunSpec b) =>
        a.ActivationSetId == b.ActivationSetId && a.Hook == b.Hook && a.BatchSize == b.BatchSize && a.Steps == b.Steps
        && a.Seed == b.Seed && a.LogEvery == b.LogEvery && a.CheckpointEvery == b.CheckpointEvery;

    /// <summary>Equality by members (a list compares by reference otherwise).</summary>
    public bool Equals(TrainingPackSpec? other) => other is not null && Members.SequenceEqual(other.Members);

    public override int GetHashCode() => Members.Count;
}
