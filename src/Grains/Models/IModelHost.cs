using MMInterp.Grains.Contracts;

namespace MMInterp.Grains.Models;

/// <summary>The silo-side model loader behind <see cref="IModelGrain"/> (kernel-backed; one copy per silo).</summary>
public interface IModelHost
{
    /// <param name="device">Where to load it: the device of the slot the Model grain holds.</param>
    Task<ModelInfo> DescribeAsync(string modelId, string silo, string device, CancellationToken ct);
}
