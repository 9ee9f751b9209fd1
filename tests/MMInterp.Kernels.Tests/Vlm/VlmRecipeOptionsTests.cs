using MMInterp.Kernels.Models.Clip;
using MMInterp.Kernels.Models.Vlm;
using MMInterp.Kernels.Zoo;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Tests.Vlm;

/// <summary>The vlm-zoo/3 options: bidirectional image tokens, grid image positions, the per-patch auxiliary loss. In the
/// trained-VLM collection so that its use of the global torch RNG does not run beside the fixture's training.</summary>
[Collection(TrainedTinyVlmCollection.Name)]
public class VlmRecipeOptionsTests
{
    static VlmConfig Small(bool bidirectional) => new()
    {
        Vision = new ClipVisionConfig { ImageSize = 8, PatchSize = 4, Tower = new ClipTowerConfig { HiddenSize = 16, IntermediateSize = 32, NumLayers = 1, NumHeads = 2 } },
        Lm = new ClipTowerConfig { HiddenSize = 16, IntermediateSize = 32, NumLayers = 1, NumHeads = 2, HiddenAct = "gelu" },
        VocabSize = 8, MaxQuestionTokens = 3, BidirectionalImage = bidirectional, GridImagePositions = true,
    };

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void TheFirstImageTokenSeesTheLastOnlyWhenBidirectional(bool bidirectional)
    {
        manual_seed(1);
        using var model = new VlmModel(Small(bidirectional));
        model.eval();
        using var _ = no_grad();
        var tokens = randn(1, 4, 16);
        var ids = tensor(new long[] { 1, 2 }, [1, 2]);
        var before = model.Lm.Forward(tokens, ids)[0, 0].clone();
        var changed = tokens.clone();
        changed[0, 3] = randn(16);
        var after = model.Lm.Forward(changed, ids)[0, 0];
        Assert.Equal(bidirectional, !before.allclose(after));
    }

    [Fact]
    public void GridPositionsStartAtUnitScaleForImageTokensOnly()
    {
        using var model = new VlmModel(Small(true));
        var positions = model.Lm.named_parameters().Single(p => p.name == "position_embedding.weight").parameter;
        var image = positions.narrow(0, 0, 4).square().mean().sqrt().item<float>();
        var question = positions.narrow(0, 4, 3).std().item<float>();
        Assert.InRange(image, 0.5, 1.0);    // sin/cos entries: RMS 1/sqrt(2)
        Assert.InRange(question, 0.03, 0.3); // random at std 0.1
        Assert.Throws<ArgumentException>(() => new VlmModel(Small(true) with { Lm = Small(true).Lm with { HiddenSize = 18, NumHeads = 2 } }));
    }

    [Fact]
    public void TheAuxiliaryLossTrainsAndLeavesNoHookOnTheModel()
    {
        var config = TrainedTinyVlmFixture.Config with { Steps = 4, EvalImages = 16, PatchAttributeWeight = 1, PatchAttributeLayer = 1, BidirectionalImage = true, GridImagePositions = true };
        var (model, _, _, _, loss) = new VlmZooTrainer(config).Train();
        using (model)
        {
            Assert.True(double.IsFinite(loss));
            Assert.All(model.Hooks.Names, n => Assert.Null(model.Hooks[n].Functions));
        }
    }
}
