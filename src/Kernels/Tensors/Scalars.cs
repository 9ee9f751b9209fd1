using TorchSharp;

namespace MMInterp.Kernels.Tensors;

/// <summary>
/// TorchSharp 0.107 turns numbers into native Scalars implicitly, and nothing keeps that temporary alive during the
/// native call: a GC on another thread can finalize (free) it mid-call, which surfaced as a sporadic libtorch
/// "toFloat" failure. <see cref="S"/> creates the Scalar and keeps it referenced (per thread) until
/// <see cref="Release"/>, which callers invoke where no native call is in flight (end of a step or API call).
/// </summary>
public static class Scalars
{
    [ThreadStatic] private static List<Scalar>? _live;

    public static Scalar S(double v)
    {
        var s = v.ToScalar();
        (_live ??= []).Add(s);
        return s;
    }

    /// <summary>An integer Scalar (needed for in-place ops on integer tensors).</summary>
    public static Scalar S(long v)
    {
        var s = v.ToScalar();
        (_live ??= []).Add(s);
        return s;
    }

    /// <summary>t * t. Tensor.square() goes through pow with an implicit (unprotected) Scalar exponent.</summary>
    public static TorchSharp.torch.Tensor Sq(TorchSharp.torch.Tensor t) => t * t;

    public static void Release()
    {
        if (_live is null) return;
        foreach (var s in _live) s.Dispose();
        _live.Clear();
    }
}
