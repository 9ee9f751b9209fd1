using static TorchSharp.torch;

namespace MMInterp.Kernels.Hooks;

/// <summary>The four interventions: read (cache), replace (patch), add (steer), zero (ablate).
/// With <c>head</c> set they act on one attention head of a point that has heads.</summary>
public static class Hook
{
    public static HookFn Cache(ActivationCache cache) => (x, p) =>
    {
        cache.Store(p.Name, x);
        return x;
    };

    /// <summary>Patches in <paramref name="value"/> (same shape as the activation).</summary>
    public static HookFn Replace(Tensor value, int? head = null) => (x, p) =>
    {
        if (!value.shape.SequenceEqual(x.shape))
            throw new ArgumentException($"patch for '{p.Name}' has shape [{string.Join(",", value.shape)}] but the activation has [{string.Join(",", x.shape)}]");
        if (head is null) return value.to(x.device).to_type(x.dtype);
        var (dim, h) = Head(p, x, head.Value);
        var output = x.clone();
        output.select(dim, h).copy_(value.select(dim, h));
        return output;
    };

    /// <summary>Adds <paramref name="delta"/> (broadcast against the activation, or against one head's slice).</summary>
    public static HookFn Add(Tensor delta, int? head = null) => (x, p) =>
    {
        if (head is null) return x + delta;
        var (dim, h) = Head(p, x, head.Value);
        var output = x.clone();
        output.select(dim, h).add_(delta);
        return output;
    };

    /// <summary>Zero-ablates the whole activation or one head.</summary>
    public static HookFn Zero(int? head = null) => (x, p) =>
    {
        if (head is null) return zeros_like(x);
        var (dim, h) = Head(p, x, head.Value);
        var output = x.clone();
        output.select(dim, h).zero_();
        return output;
    };

    /// <summary>Mean-ablates: replaces the activation (or one head) with a fixed mean value broadcast over it.</summary>
    public static HookFn Mean(Tensor mean, int? head = null) => (x, p) =>
    {
        if (head is null) return zeros_like(x) + mean;
        var (dim, h) = Head(p, x, head.Value);
        var output = x.clone();
        output.select(dim, h).copy_(zeros_like(output.select(dim, h)) + mean);
        return output;
    };

    static (int Dim, long Head) Head(HookPoint p, Tensor x, int head)
    {
        if (!p.HasHeads) throw new ArgumentException($"hook point '{p.Name}' has no head dimension; drop the head index");
        var count = x.shape[p.HeadDim];
        if (head < 0 || head >= count) throw new ArgumentException($"head {head} out of range for '{p.Name}' ({count} heads)");
        return (p.HeadDim, head);
    }
}
