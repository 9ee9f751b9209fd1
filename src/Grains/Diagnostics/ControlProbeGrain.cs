using MMInterp.Grains.Contracts;
using MMInterp.Grains.Placement;

namespace MMInterp.Grains.Diagnostics;

/// <summary>Reports the silo it was placed on under control placement.</summary>
[ControlPlacement]
public sealed class ControlProbeGrain : Grain, IControlProbeGrain
{
    public Task<string> SiloAddress() => Task.FromResult(RuntimeIdentity);
}
