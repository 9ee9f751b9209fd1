using MMInterp.Grains.Contracts;
using MMInterp.Grains.Placement;

namespace MMInterp.Grains.Models;

/// <summary>A registered model on an accelerator silo: loading it there warms that silo's model cache.</summary>
[AcceleratorPlacement]
public sealed class ModelGrain(IModelHost host) : Grain, IModelGrain
{
    public Task<ModelInfo> Describe() => host.DescribeAsync(this.GetPrimaryKeyString(), RuntimeIdentity, CancellationToken.None);
}
