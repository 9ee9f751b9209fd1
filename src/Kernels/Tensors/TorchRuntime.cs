using TorchSharp;

namespace MMInterp.Kernels.Tensors;

/// <summary>Chooses the torch device from a user string, and builds modules under one process-wide lock.</summary>
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

    // Module constructors draw their initial weights from torch's one process-wide generator. Two builds in one process
    // (two grains on a silo, two test classes) would interleave their draws, and a seeded model would depend on timing.
    static readonly object Gate = new();

    /// <summary>Seeds torch's global generator and builds under the lock, so the weights depend on the seed alone.</summary>
    public static T Seeded<T>(long seed, Func<T> build)
    {
        lock (Gate)
        {
            torch.manual_seed(seed);
            return build();
        }
    }

    /// <summary>Builds under the lock without seeding: for models whose weights are loaded right after (checkpoints), so
    /// their draws cannot land inside a seeded build.</summary>
    public static T Constructed<T>(Func<T> build)
    {
        lock (Gate) return build();
    }
}
