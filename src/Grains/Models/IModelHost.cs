using MMInterp.Grains.Contracts;

namespace MMInterp.Grains.Models;

/// <summary>The silo-side model loader behind <see cref="IModelGrain"/> (kernel-backed; one copy per silo).</summary>
public interface IModelHost
{
    Task<ModelInfo> DescribeAsync(string modelId, string silo, CancellationToken ct);
}
