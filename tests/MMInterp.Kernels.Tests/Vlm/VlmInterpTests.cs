using MMInterp.Kernels.Interp.Vlm;
using MMInterp.Kernels.Plots;
using MMInterp.Kernels.ShapesWorld;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Tests.Vlm;

[Collection(TrainedTinyVlmCollection.Name)]
public class VlmInterpTests(TrainedTinyVlmFixture trained)
{
    VlmPrompts Prompts(int count) => VlmPrompts.Build(trained.Loaded.Model, trained.Loaded.Vocabulary, TrainedTinyVlmFixture.Config.EvalSeed, count);

    [Fact]
    public void TracingRestoresCleanWithTheWholeStateAndStaysCorruptedWithANoOpRestore()
    {
        using var prompts = Prompts(2);
        var model = trained.Loaded.Model;
        var r = CausalTracing.Run(model, prompts, new TracingOptions { NoiseSamples = 2, Kinds = ["resid"], ControlDraws = 2 });
        var (p, q, layers) = (r.ImageTokens, r.QuestionTokens, model.LmLayers);
        var resid = r.Maps["resid"];
        Assert.Equal(["embed", "block 0", "block 1"], resid.Rows);
        for (var i = 0; i < prompts.Count; i++)
        {
            Assert.True(r.CleanProb[i] > r.CorruptProb[i], $"prompt {i}: clean {r.CleanProb[i]} corrupt {r.CorruptProb[i]}");
            // Restoring the last layer's state at the answer position restores the whole prediction.
            Assert.Equal(r.CleanProb[i], resid.Prob[i, layers, p + q - 1], 4);
            // Question tokens are not corrupted: restoring them at the embeddings changes nothing.
            Assert.Equal(r.CorruptProb[i], resid.Prob[i, 0, p], 4);
        }
        // Restoring every image token at the LM input gives the clean run back.
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var clean = model.ImageTokens(prompts.Images);
        Assert.Equal(r.MeanClean, VlmInterventions.AnswerProbability(model.AnswerLogitsFromTokens(clean, prompts.Ids, prompts.Lengths), prompts.Answers).mean().item<float>(), 4);
        Assert.True(r.NoiseStd > 0 && r.ObjectShare >= 0 && r.ObjectShare <= 1 && r.ChanceShare > 0);
    }

    [Fact]
    public void KnockingOutAllImageTokensDropsAccuracyMoreThanRandomTokens()
    {
        using var prompts = Prompts(24);
        var r = AttentionKnockout.Run(trained.Loaded.Model, prompts, randomDraws: 3);
        Assert.Equal(1.0, r.CleanAccuracy, 6); // prompts are the ones answered correctly
        var image = r.Row("image", "all");
        var random = r.Row("random", "all");
        // With no image to read, the answer position can only guess (colour chance 1/8); random non-object tokens hold
        // little of the answer.
        Assert.True(image.Accuracy < random.Accuracy - 0.25, $"image knockout {image} vs random {random}");
        Assert.True(image.ProbDrop > random.ProbDrop, $"image knockout {image} vs random {random}");
    }

    [Fact]
    public void LogitLensAtTheLastLayerIsTheModelsOwnLogits()
    {
        using var prompts = Prompts(3);
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var model = trained.Loaded.Model;
        var tokens = model.ImageTokens(prompts.Images);
        var lens = LogitLens.Decode(model, tokens, prompts.Ids);
        Assert.Equal(model.LmLayers + 1, lens.Count);
        Assert.True(lens[^1].allclose(model.Lm.Forward(tokens, prompts.Ids), rtol: 1e-4, atol: 1e-5));
        var result = LogitLens.Run(model, trained.Loaded.Vocabulary, prompts);
        Assert.Equal(0.0, result.Rows[^1].AnswerRank, 6); // correct prompts: the answer is the top token at the last layer
        Assert.Equal(64, result.FirstPromptTop1[0].Length);
    }

    [Fact]
    public void FiguresAreWritten()
    {
        using var prompts = Prompts(2);
        var dir = Directory.CreateTempSubdirectory("mminterp-vlmfig-").FullName;
        try
        {
            var tracing = CausalTracing.Run(trained.Loaded.Model, prompts, new TracingOptions { NoiseSamples = 1, Kinds = ["resid", "mlp"], ControlDraws = 1 });
            var world = new ShapesWorldGenerator();
            var files = VlmFigures.WriteTracing(dir, tracing, prompts, world).ToList();
            files.Add(VlmFigures.WriteLogitLens(dir, LogitLens.Run(trained.Loaded.Model, trained.Loaded.Vocabulary, prompts), prompts, world));
            foreach (var f in files) Assert.True(new FileInfo(f).Length > 200, f);
            Assert.Contains(files, f => f.EndsWith("tracing_resid.png", StringComparison.Ordinal));
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public void BadAnalysisInputsAreRejectedByName()
    {
        var e = Assert.Throws<ArgumentException>(() => new TracingOptions { NoiseMultiple = 0 }.Validate());
        Assert.Contains("NoiseMultiple", e.Message);
        e = Assert.Throws<ArgumentException>(() => new TracingOptions { Kinds = ["attention"] }.Validate());
        Assert.Contains("attention", e.Message);
        e = Assert.Throws<ArgumentException>(() => VlmPrompts.Build(trained.Loaded.Model, trained.Loaded.Vocabulary, 8, 2, type: "count"));
        Assert.Contains("count", e.Message);
        e = Assert.Throws<ArgumentException>(() => HeatmapPng.Write("/tmp/never.png", new double[2, 3], ["a"], "t"));
        Assert.Contains("row labels", e.Message);
    }
}
