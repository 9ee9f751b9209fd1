using MMInterp.Kernels.Models.Clip;
using MMInterp.Kernels.Models.Llava;
using MMInterp.Kernels.Models.Llm;
using Xunit;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Tests.Llava;

/// <summary>vision_feature_layer indexes HF's hidden_states (0: the pre-normed embeddings; i: block i-1's output;
/// negative from the end), a list concatenates them, and the strategy keeps or drops the class token.</summary>
public class LlavaFeatureLayerTests
{
    static LlavaConfig Config(IReadOnlyList<int> layers, string strategy) => new()
    {
        Vision = new ClipVisionConfig { ImageSize = 16, PatchSize = 8, Tower = new ClipTowerConfig { HiddenSize = 8, IntermediateSize = 16, NumLayers = 3, NumHeads = 2 } },
        Text = new LlamaConfig { HiddenSize = 16, IntermediateSize = 32, NumLayers = 1, NumHeads = 2, NumKvHeads = 1, VocabSize = 32, MaxPositions = 64 },
        ImageTokenId = 31,
        VisionFeatureLayers = layers,
        FeatureLayerIsList = layers.Count > 1,
        SelectStrategy = strategy,
    };

    [Fact]
    public void LayersIndexHiddenStatesAndAListConcatenates()
    {
        using var scope = NewDisposeScope();
        manual_seed(4);
        using var model = new LlavaForConditionalGeneration(Config([0, -1, 2], "full"));
        model.eval();
        using var _ = no_grad();
        var pixels = randn(2, 3, 16, 16);
        var vision = model.VisionTower.VisionModel;
        var expected = cat([vision.Embeddings(pixels), vision.ForwardTo(pixels, 2), vision.ForwardTo(pixels, 1)], -1);
        var features = model.VisionTower.Features(pixels);
        Assert.Equal(new long[] { 2, 5, 24 }, features.shape);
        Assert.Equal(0f, (features - expected).abs().max().item<float>());
        Assert.Equal(5, model.Config.FeaturesPerImage);
    }

    [Fact]
    public void TheDefaultStrategyDropsTheClassToken()
    {
        using var scope = NewDisposeScope();
        manual_seed(4);
        using var model = new LlavaForConditionalGeneration(Config([-2], LlavaConfig.DefaultStrategy));
        model.eval();
        using var _ = no_grad();
        var pixels = randn(1, 3, 16, 16);
        var features = model.VisionTower.Features(pixels);
        Assert.Equal(new long[] { 1, 4, 8 }, features.shape);
        Assert.Equal(0f, (features - model.VisionTower.VisionModel.ForwardTo(pixels, 1).narrow(1, 1, 4)).abs().max().item<float>());
        // Two images, each prompt image token widened to 4 features, in image order.
        var (embeds, ids) = model.MergedEmbeddings([1, 31, 5, 31, 6], randn(2, 3, 16, 16));
        Assert.Equal(11, ids.Length);
        Assert.Equal(new long[] { 1, 11, 16 }, embeds.shape);
    }
}
