using MMInterp.Grains.Contracts;
using MMInterp.Grains.Placement;

namespace MMInterp.Grains.Diagnostics;

/// <summary>Reports the silo it was placed on under accelerator placement; `cluster check` and tests use it.</summary>
[AcceleratorPlacement]
public sealed class AcceleratorProbeGrain : Grain, IAcceleratorProbeGrain
{
    public Task<string> SiloAddress() => Task.FromResult(RuntimeIdentity);
}
