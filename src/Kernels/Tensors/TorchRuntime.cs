using TorchSharp;

namespace MMInterp.Kernels.Tensors;

/// <summary>Chooses the torch device from a user string and seeds every generator the kernels use.</summary>
public static class TorchRuntime
{
    /// <summary>Parses "cpu" or "cuda[:n]"; a CUDA request on a CPU-only build fails with a clear message.</summary>
    public static torch.Device ParseDevice(string name)
    {
        var lower = name.Trim().ToLowerInvariant();
        if (lower == "cpu") return torch.CPU;
        if (lower.StartsWith("cuda", StringComparison.Ordinal))
        {
            if (!torch.cuda.is_available())
                throw new ArgumentException($"device '{name}' requested but this build of libtorch has no CUDA device available; use --device cpu");
            return torch.device(lower);
        }
        throw new ArgumentException($"unknown device '{name}': expected cpu or cuda[:index]");
    }

    public static void Seed(long seed) => torch.manual_seed(seed);
}
