using static TorchSharp.torch;

namespace MMInterp.Kernels.Hooks;

/// <summary>A hook function sees the activation at a point and returns what flows on (the same tensor to only read).</summary>
public delegate Tensor HookFn(Tensor activation, HookPoint point);

/// <summary>A named place in a forward pass (TransformerLens vocabulary: "vision.blocks.3.attn.hook_z").
/// Models call <see cref="Apply"/> on every activation that passes; with no hook set this is one null check.</summary>
public sealed class HookPoint
{
    internal HookPoint(string name, int headDim)
    {
        Name = name;
        HeadDim = headDim;
    }

    public string Name { get; }

    /// <summary>The dimension that indexes attention heads (hook_z: 2 of [B,T,H,dh]; hook_pattern: 1 of [B,H,T,T]), or -1.</summary>
    public int HeadDim { get; }

    public bool HasHeads => HeadDim >= 0;

    /// <summary>True while a function is attached: a model may then take a slower path that materialises what the
    /// point shows (an attention pattern), and a fused one otherwise.</summary>
    public bool IsAttached => Functions is not null;

    // Null when nothing is attached: the common, free path.
    internal List<HookFn>? Functions;

    public Tensor Apply(Tensor activation)
    {
        var functions = Functions;
        if (functions is null) return activation;
        foreach (var f in functions) activation = f(activation, this);
        return activation;
    }
}
