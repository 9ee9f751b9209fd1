using MMInterp.Grains.Contracts;
using MMInterp.Grains.Placement;

namespace MMInterp.Grains.Models;

/// <summary>A registered model on an accelerator silo: loading it there warms that silo's model cache.</summary>
[AcceleratorPlacement]
public sealed class ModelGrain(IModelHost host, DeviceSlots slots) : Grain, IModelGrain
{
    public async Task<ModelInfo> Describe()
    {
        // Loading holds a device slot of this silo, as any other work on an accelerator does.
        using var lease = slots.Lease();
        return await host.DescribeAsync(this.GetPrimaryKeyString(), RuntimeIdentity, lease.Slot.Device, CancellationToken.None);
    }
}
