using static TorchSharp.torch;

namespace MMInterp.Kernels.Sae;

public static class SaeFactory
{
    public static SparseAutoencoder Create(SaeConfig config, Device? device = null) => config.Validate().Kind switch
    {
        SaeKind.Relu => new ReluSae(config, device),
        SaeKind.TopK => new TopKSae(config, device),
        SaeKind.BatchTopK => new BatchTopKSae(config, device),
        SaeKind.JumpRelu => new JumpReluSae(config, device),
        _ => throw new ArgumentException($"{nameof(SaeConfig.Kind)}: unknown SAE kind {config.Kind}", nameof(SaeConfig.Kind)),
    };
}
