using MMInterp.Kernels.Models.Clip;
using MMInterp.Kernels.ShapesWorld;
using MMInterp.Kernels.Zoo;
using Xunit;

namespace MMInterp.Kernels.Tests.Zoo;

[Collection(TrainedTinyClipCollection.Name)]
public class ClipZooTests(TrainedTinyClipFixture trained)
{
    [Fact]
    public void SmallTrainingRunBeatsChanceOnHeldOutZeroShot()
    {
        var m = trained.Result.Metrics;
        // Chance: colour 1/8, recall@5 about 5/256. Shape needs the full-size run (see bench/RESULTS.md).
        // Multi-threaded libtorch reductions make runs differ slightly; measured colour 0.49-0.6 for this budget.
        Assert.True(m.ZeroShotColour >= 0.3, $"metrics {m}");
        Assert.True(m.RetrievalRecallAt5 >= 0.1, $"metrics {m}");
    }

    [Fact]
    public void ProgressIsReportedAndFilesAreWrittenInHuggingFaceLayout()
    {
        Assert.Contains(trained.Notes, n => n.Note.StartsWith("step 1/", StringComparison.Ordinal));
        Assert.Equal(1.0, trained.Notes[^1].Progress);
        Assert.True(trained.Notes.Zip(trained.Notes.Skip(1)).All(p => p.Second.Progress >= p.First.Progress));
        foreach (var f in trained.Result.Files) Assert.True(File.Exists(f), f);
        Assert.Contains(trained.Result.Files, f => f.EndsWith("model.safetensors", StringComparison.Ordinal));
    }

    [Fact]
    public void TheSavedModelReproducesTheReportedMetric()
    {
        var loaded = trained.Loaded;
        var colour = ClipEvaluator.ZeroShot(loaded.Model, loaded.Tokenizer!, ObjectAttribute.Colour, TrainedTinyClipFixture.Config.EvalSeed,
            TrainedTinyClipFixture.Config.EvalImages, 32);
        Assert.Equal(trained.Result.Metrics.ZeroShotColour, colour, 6);
    }

    [Fact]
    public void BadConfigValuesAreRejectedByName()
    {
        var e = Assert.Throws<ArgumentException>(() => new ClipZooTrainer(ClipZooConfig.Default with { EvalSeed = 0 }));
        Assert.Contains("EvalSeed", e.Message);
        e = Assert.Throws<ArgumentException>(() => new ClipZooTrainer(ClipZooConfig.Default with { BatchSize = 1 }));
        Assert.Contains("BatchSize", e.Message);
        e = Assert.Throws<ArgumentException>(() => new ClipZooTrainer(ClipZooConfig.Default with { VisionWidth = 30 }));
        Assert.Contains("VisionWidth", e.Message);
    }
}
