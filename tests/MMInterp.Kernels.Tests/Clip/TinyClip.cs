using MMInterp.Kernels.Models.Clip;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Tests.Clip;

/// <summary>Very small CLIP shapes and inputs shared by the model, hook and checkpoint tests.</summary>
internal static class TinyClip
{
    public static ClipConfig Config(int layers = 1, int eos = 19) => new()
    {
        ProjectionDim = 6,
        Vision = new ClipVisionConfig
        {
            ImageSize = 8, PatchSize = 4,
            Tower = new ClipTowerConfig { HiddenSize = 8, IntermediateSize = 16, NumLayers = layers, NumHeads = 2 },
        },
        Text = new ClipTextConfig
        {
            VocabSize = 20, MaxPositions = 7, EosTokenId = eos, BosTokenId = 18, PadTokenId = eos,
            Tower = new ClipTowerConfig { HiddenSize = 8, IntermediateSize = 16, NumLayers = layers, NumHeads = 2 },
        },
    };

    public static ClipModel Model(int layers = 1, long seed = 11)
    {
        manual_seed(seed);
        var model = new ClipModel(Config(layers));
        // Non-trivial norms and biases, so that a mistake in any of them shows.
        using (no_grad())
            foreach (var (name, p) in model.named_parameters())
                if (name.EndsWith(".bias") || name.Contains("layer_norm") || name.Contains("layrnorm")) p.add_(randn_like(p) * 0.3);
        model.eval();
        return model;
    }

    public static Tensor Images(long seed = 3) { manual_seed(seed); return rand(3, 3, 8, 8); }

    /// <summary>Three texts: BOS, tokens, EOS (19), padded with EOS.</summary>
    public static Tensor Ids() => tensor(new long[]
    {
        18, 4, 7, 19, 19, 19, 19,
        18, 2, 19, 19, 19, 19, 19,
        18, 5, 6, 9, 12, 3, 19,
    }, [3, 7]);
}

internal static class Same
{
    /// <summary>Exact equality of shape and every element.</summary>
    public static bool Values(Tensor a, Tensor b) => a.shape.SequenceEqual(b.shape) && a.eq(b).all().item<bool>();
}
