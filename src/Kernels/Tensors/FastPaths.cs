using TorchSharp;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Tensors;

/// <summary>
/// Chooses between the hand-written CPU kernels (OpenBLAS sgemm, raw-pointer loops over tensor memory) and the
/// generic libtorch path that runs on any device. A fast path is taken only when every tensor it touches is a
/// contiguous float32 CPU tensor and fast paths are not switched off; anything on an accelerator takes the generic path.
/// Tests switch them off (<see cref="Disable"/>) to run the generic path on the CPU and compare it with the fast one.
/// </summary>
public static class FastPaths
{
    // Per async flow rather than process-wide, so a scope in one test or caller never changes another's kernels.
    static readonly AsyncLocal<bool> Off = new();

    /// <summary>False inside a <see cref="Disable"/> scope, or when MMINTERP_FAST_PATHS=off (to compare whole runs).</summary>
    public static bool Enabled => !Off.Value && !OffByEnvironment;

    static readonly bool OffByEnvironment =
        string.Equals(Environment.GetEnvironmentVariable("MMINTERP_FAST_PATHS"), "off", StringComparison.OrdinalIgnoreCase);

    /// <summary>True when the hand-written CPU kernel may run over these tensors.</summary>
    public static bool Apply(Tensor a) => Enabled && NativeTensor.IsCpuFloat(a);

    public static bool Apply(Tensor a, Tensor b) => Apply(a) && NativeTensor.IsCpuFloat(b);

    public static bool Apply(Tensor a, Tensor b, Tensor c) => Apply(a, b) && NativeTensor.IsCpuFloat(c);

    /// <summary>Runs the generic path until disposed (in this async flow and the ones it starts).</summary>
    public static IDisposable Disable()
    {
        var before = Off.Value;
        Off.Value = true;
        return new Restore(before);
    }

    sealed class Restore(bool before) : IDisposable
    {
        public void Dispose() => Off.Value = before;
    }
}

public static class DeviceExtensions
{
    /// <summary>Whether the tensor lives on <paramref name="device"/> (TorchSharp's Device has no value equality).</summary>
    public static bool OnDevice(this Tensor t, Device device) =>
        t.device_type == device.type && (device.type == DeviceType.CPU || t.device_index == device.index);
}
