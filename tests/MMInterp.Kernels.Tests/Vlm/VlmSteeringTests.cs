using MMInterp.Kernels.Interp.Vlm;
using MMInterp.Kernels.Plots;
using MMInterp.Kernels.Sae;
using Xunit;

namespace MMInterp.Kernels.Tests.Vlm;

/// <summary>Steering the shared tiny VLM through an SAE trained on its own vision tower (fixed seeds).</summary>
[Collection(TrainedTinyVlmCollection.Name)]
public class VlmSteeringTests(TrainedTinyVlmFixture trained)
{
    const string Hook = "vision.blocks.0.hook_resid_post";

    static readonly VlmVisionSaeOptions SaeOptions = new() { DSae = 128, K = 8, Steps = 300, Images = 256, BatchSize = 256 };

    [Fact]
    public void ClampingAColourFeatureTurnsTheAnswerFarMoreOftenThanARandomDirection()
    {
        var model = trained.Loaded.Model;
        var (sae, fvu) = VlmVisionSae.Train(model, Hook, SaeOptions);
        using (sae)
        {
            Assert.True(fvu < 0.5, $"SAE FVU {fvu:F3}");
            var config = new VlmSteeringConfig { Hook = Hook, ImagesPerConcept = 16, SelectionImages = 256, ClampMultiple = 4 };
            var result = VlmSteering.Run(model, trained.Loaded.Vocabulary, sae, config);
            Assert.Equal(8, result.Concepts.Count);
            var table = string.Join("; ", result.Concepts.Select(c => $"{c.Word} f{c.Feature} auroc {c.Auroc:F2} s {c.Success:F2} r {c.RandomControl:F2} b {c.Baseline:F2}"));
            // The chosen features detect their colour; steering must beat both controls by a wide margin.
            Assert.True(result.Concepts.Average(c => c.Auroc) > 0.8, table);
            Assert.True(result.Success >= 0.3, $"steering success {result.Success:F3}; {table}");
            Assert.True(result.Success >= result.RandomControl + 0.2, $"success {result.Success:F3} vs random {result.RandomControl:F3}; {table}");
            Assert.True(result.Success >= result.Baseline + 0.2, $"success {result.Success:F3} vs unsteered {result.Baseline:F3}; {table}");
            var png = Path.Combine(trained.Directory, "steering.png");
            VlmSteeringPng.Write(result, png);
            Assert.True(new FileInfo(png).Length > 1000);
        }
    }

    [Fact]
    public void BadSteeringInputsAreRejectedByName()
    {
        var model = trained.Loaded.Model;
        using var sae = SaeFactory.Create(new SaeConfig { Kind = SaeKind.TopK, DIn = 16, DSae = 32, K = 4 });
        var e = Assert.Throws<ArgumentException>(() => new VlmSteeringConfig { Attribute = "size" }.Validate());
        Assert.Contains("Attribute", e.Message);
        e = Assert.Throws<ArgumentException>(() => new VlmSteeringConfig { Hook = "lm.blocks.0.hook_resid_post" }.Validate());
        Assert.Contains("Hook", e.Message);
        e = Assert.Throws<ArgumentException>(() => new VlmSteeringConfig { EvalSeed = 5, SelectionSeed = 5 }.Validate());
        Assert.Contains("EvalSeed", e.Message);
        e = Assert.Throws<ArgumentException>(() => VlmSteering.Run(model, trained.Loaded.Vocabulary, sae, new VlmSteeringConfig { Hook = "vision.blocks.7.hook_resid_post" }));
        Assert.Contains("vision.blocks.7.hook_resid_post", e.Message);
        e = Assert.Throws<ArgumentException>(() => VlmSteering.Run(model, trained.Loaded.Vocabulary, sae, new VlmSteeringConfig { Hook = Hook }));
        Assert.Contains("d_in", e.Message);
        e = Assert.Throws<ArgumentException>(() => new VlmVisionSaeOptions { K = 0 }.Validate());
        Assert.Contains("K", e.Message);
    }
}
