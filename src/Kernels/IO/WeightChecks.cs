using static TorchSharp.torch;

namespace MMInterp.Kernels.IO;

/// <summary>
/// What a loaded weight must be beyond its shape: of the dtype class its parameter has (a float tensor relabelled I32
/// reads as plausible integers and would be converted silently) and finite (a NaN or Inf weight poisons every output).
/// Each failure is one <see cref="InvalidDataException"/> naming the file and the tensor.
/// </summary>
public static class WeightChecks
{
    public static bool IsFloatDType(string dtype) => dtype is "F32" or "F16" or "BF16" or "F64";

    /// <summary>The stored safetensors dtype against the parameter it fills.</summary>
    public static void RequireClass(string source, string name, string storedDType, Tensor target)
    {
        if (IsFloatDType(storedDType) != target.is_floating_point())
            throw new InvalidDataException($"{source}: tensor '{name}' is stored as {storedDType} but the model's parameter is {target.dtype} " +
                                           "(a float tensor must be F32, F16, BF16 or F64; an integer one an integer dtype)");
    }

    /// <summary>A loaded tensor (floats already widened to float32, integers to int64) against its target.</summary>
    public static void RequireClass(string source, string name, Tensor loaded, Tensor target)
    {
        if (loaded.is_floating_point() != target.is_floating_point())
            throw new InvalidDataException($"{source}: tensor '{name}' is stored as {loaded.dtype} but the model's parameter is {target.dtype} " +
                                           "(a float tensor relabelled as integers?)");
    }

    /// <summary>Every value finite (integer tensors always are).</summary>
    public static void RequireFinite(string source, string name, Tensor t)
    {
        if (!t.is_floating_point() || t.numel() == 0) return;
        using var scope = NewDisposeScope();
        if (t.isfinite().all().item<bool>()) return;
        var nan = t.isnan().sum().item<long>();
        var inf = t.isinf().sum().item<long>();
        throw new InvalidDataException($"{source}: tensor '{name}' holds {(nan > 0 ? $"{nan} NaN" : "")}{(nan > 0 && inf > 0 ? " and " : "")}{(inf > 0 ? $"{inf} infinite" : "")} value(s)");
    }
}
