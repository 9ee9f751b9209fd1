using static TorchSharp.torch;

namespace MMInterp.Kernels.IO;

/// <summary>
/// The safetensors dtypes HF checkpoints use and what a load turns them into: floats become float32 (the models run
/// in fp32), integers int64, BOOL bool. Each is first read straight into a tensor whose bytes match the file's, so
/// F32 and I64 need no conversion at all.
/// </summary>
internal static class SafeTensorsDTypes
{
    private static readonly Dictionary<string, (ScalarType Stored, int Size)> Table = new(StringComparer.Ordinal)
    {
        ["F64"] = (ScalarType.Float64, 8), ["F32"] = (ScalarType.Float32, 4), ["F16"] = (ScalarType.Float16, 2),
        ["BF16"] = (ScalarType.BFloat16, 2), ["I64"] = (ScalarType.Int64, 8), ["I32"] = (ScalarType.Int32, 4),
        ["I16"] = (ScalarType.Int16, 2), ["I8"] = (ScalarType.Int8, 1), ["U8"] = (ScalarType.Byte, 1),
        // Read as bytes and compared with zero: a byte other than 0/1 is not a valid torch bool.
        ["BOOL"] = (ScalarType.Byte, 1),
    };

    public static string Supported => string.Join(", ", Table.Keys);

    public static bool TryElementSize(string dtype, out int size)
    {
        var known = Table.TryGetValue(dtype, out var d);
        size = d.Size;
        return known;
    }

    public static ScalarType StoredAs(string dtype) => Table[dtype].Stored;

    /// <summary>The loaded form of <paramref name="raw"/> (itself when it needs no conversion).</summary>
    public static Tensor Widen(string dtype, Tensor raw) => dtype switch
    {
        "F32" or "I64" => raw,
        "BOOL" => raw.ne(0),
        "F64" or "F16" or "BF16" => raw.to(float32),
        _ => raw.to(int64),
    };

    /// <summary>The dtype a tensor is written as: the kernels store float32 and int64; float16 and bfloat16 are
    /// written for checkpoints in the form HF publishes them.</summary>
    public static string ForWrite(string name, Tensor t) => t.dtype switch
    {
        ScalarType.Float32 => "F32",
        ScalarType.Int64 => "I64",
        ScalarType.Float16 => "F16",
        ScalarType.BFloat16 => "BF16",
        _ => throw new ArgumentException($"tensor '{name}' has dtype {t.dtype}; only float32, int64, float16 and bfloat16 are written"),
    };
}
