using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Tensors;

/// <summary>
/// Raw access to a CPU tensor's storage. TorchSharp 0.107 exposes no data pointer publicly, so this calls the
/// same native entry point (THSTensor_data) TorchSharp itself uses. Callers must keep the tensor alive.
/// </summary>
public static unsafe class NativeTensor
{
    [DllImport("LibTorchSharp")]
    private static extern IntPtr THSTensor_data(IntPtr handle);

    public static IntPtr Pointer(Tensor t)
    {
        if (t.device_type != DeviceType.CPU) throw new ArgumentException("tensor must live on the CPU for raw access");
        if (!t.is_contiguous()) throw new ArgumentException("tensor must be contiguous for raw access");
        return THSTensor_data(t.Handle);
    }

    public static float* FloatPtr(Tensor t)
    {
        if (t.dtype != ScalarType.Float32) throw new ArgumentException($"expected float32, got {t.dtype}");
        return (float*)Pointer(t);
    }

    public static Span<float> FloatSpan(Tensor t) => new(FloatPtr(t), checked((int)t.numel()));

    public static Span<byte> ByteSpan(Tensor t) => new((void*)Pointer(t), checked((int)(t.numel() * t.ElementSize)));

    /// <summary>True when the fast CPU kernels may run on this tensor.</summary>
    public static bool IsCpuFloat(Tensor t) => t.device_type == DeviceType.CPU && t.dtype == ScalarType.Float32 && t.is_contiguous();
}
