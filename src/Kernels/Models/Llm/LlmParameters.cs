using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Models.Llm;

/// <summary>Parameters of the decoder in their storage dtype.</summary>
internal static class LlmParameters
{
    /// <summary>The dtypes a checkpoint's floats may be kept in.</summary>
    public static bool IsStorageDType(ScalarType t) => t is ScalarType.Float32 or ScalarType.BFloat16 or ScalarType.Float16;

    /// <summary>An uninitialised parameter; only float32 ones take gradients (half-precision weights are for inference).</summary>
    public static Parameter Create(long[] shape, ScalarType dtype)
    {
        if (!IsStorageDType(dtype)) throw new ArgumentException($"decoder weights are kept as float32, bfloat16 or float16, not {dtype}");
        return new Parameter(empty(shape, dtype), requires_grad: dtype == ScalarType.Float32);
    }
}
