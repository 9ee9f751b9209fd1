using MMInterp.Kernels.Sae;

namespace MMInterp.Grains.Registry;

/// <summary>The registry's architecture of an SAE the kernels built (one mapping for every place that registers one).</summary>
public static class SaeArchitectures
{
    public static SaeArchitecture Of(SaeKind kind) => kind switch
    {
        SaeKind.Relu => SaeArchitecture.Relu,
        SaeKind.TopK => SaeArchitecture.TopK,
        SaeKind.BatchTopK => SaeArchitecture.BatchTopK,
        SaeKind.JumpRelu => SaeArchitecture.JumpRelu,
        _ => throw new ArgumentException($"unknown SAE kind {kind}"),
    };
}
