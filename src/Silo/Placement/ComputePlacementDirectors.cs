using MMInterp.Grains.Placement;
using Orleans.Runtime.MembershipService.SiloMetadata;
using Orleans.Runtime.Placement;

namespace MMInterp.Silo.Placement;

/// <summary>
/// Picks an accelerator silo for GPU-bound grains. Each silo counts once per advertised device. A caller's slot
/// number (<see cref="AcceleratorPlacement.SlotKey"/>, e.g. a shard index) picks among them round-robin, so a job's
/// shards spread evenly; otherwise the grain id's hash picks, so the same key lands on the same silo while membership
/// is stable.
/// </summary>
public sealed class AcceleratorPlacementDirector(ISiloMetadataCache metadata) : IPlacementDirector
{
    public Task<SiloAddress> OnAddActivation(PlacementStrategy strategy, PlacementTarget target, IPlacementContext context)
    {
        var slots = context.GetCompatibleSilos(target)
            .Select(s => (silo: s, compute: SiloCompute.FromMetadata(metadata.GetSiloMetadata(s).Metadata)))
            .Where(x => x.compute.RunsAcceleratorWork)
            .OrderBy(x => x.silo.ToParsableString(), StringComparer.Ordinal)
            .SelectMany(x => Enumerable.Repeat(x.silo, x.compute.DeviceCount))
            .ToArray();
        if (slots.Length == 0)
            throw new OrleansException($"no accelerator silo in the cluster for {target.GrainIdentity}: start a silo with role accelerator (or both)");
        var index = target.RequestContextData?.GetValueOrDefault(AcceleratorPlacement.SlotKey) is int slot and >= 0
            ? slot % slots.Length
            : (int)(target.GrainIdentity.GetUniformHashCode() % (uint)slots.Length);
        return Task.FromResult(slots[index]);
    }
}

/// <summary>Keeps coordination grains on control silos; falls back to any silo in a cluster that has none.</summary>
public sealed class ControlPlacementDirector(ISiloMetadataCache metadata) : IPlacementDirector
{
    public Task<SiloAddress> OnAddActivation(PlacementStrategy strategy, PlacementTarget target, IPlacementContext context)
    {
        var all = context.GetCompatibleSilos(target);
        var control = all.Where(s => SiloCompute.FromMetadata(metadata.GetSiloMetadata(s).Metadata).Role == SiloRole.Control).ToArray();
        var pool = control.Length > 0 ? control : all;
        // Staying local saves a hop whenever the local silo qualifies.
        if (pool.Contains(context.LocalSilo)) return Task.FromResult(context.LocalSilo);
        return Task.FromResult(pool[Random.Shared.Next(pool.Length)]);
    }
}
