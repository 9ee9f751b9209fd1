using MMInterp.Kernels.Interp.Steering;
using MMInterp.Kernels.Interp.Typographic;
using MMInterp.Kernels.Plots;
using MMInterp.Kernels.ShapesWorld;
using SkiaSharp;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Tests.Interp.Steering;

/// <summary>The typographic defence on the small CLIP (trained with 30% true words): its numbers are measured on
/// the same scenes, agree with an independent zero-shot pass and with the recovered-ratio formula, the chosen
/// features detect the word, and suppressing them beats suppressing random ones when the attack costs accuracy
/// (it does not on this small model, which barely reads: see the test output).</summary>
[Collection(SteeringCollection.Name)]
public class TypographicDefenceTests(SteeringFixture fx, ITestOutputHelper output)
{
    [Fact]
    public void DefenceNumbersAreConsistentAndBeatRandomSuppression()
    {
        var config = new TypographicConfig { CalibrationImages = 128, EvalImages = 128, TopK = 4, RandomTrials = 3, Selection = TextFeatureSelection.Detection };
        var r = TypographicDefence.Run(fx.Model, fx.Tokenizer, fx.Sae, SteeringFixture.Hook, config);
        output.WriteLine($"chosen {string.Join(",", r.ChosenFeatures)} AUROC {string.Join(",", r.ChosenAuroc.Select(a => a.ToString("F2")))} of {r.LiveFeatures} live");
        foreach (var a in r.ByAttribute.Prepend(r.Overall)) output.WriteLine(a.ToString());
        output.WriteLine($"material {r.AttackMaterial}; recovered {r.Recovered:F3}, random {r.RandomRecovered:F3}, clean cost {r.CleanCost:F3}");

        Assert.Equal(config.EvalImages, r.Overall.Images);
        Assert.Equal(r.Overall.Images, r.ByAttribute.Sum(a => a.Images));
        Assert.Equal(new ObjectAttribute?[] { ObjectAttribute.Colour, ObjectAttribute.Shape }, r.ByAttribute.Select(a => a.Attribute));
        Assert.InRange(r.ChosenFeatures.Count, 1, config.TopK);
        Assert.All(r.ChosenAuroc, a => Assert.True(a > 0.5));
        Assert.True(r.ChosenAuroc.Zip(r.ChosenAuroc.Skip(1)).All(p => p.First >= p.Second), "chosen features are not best-first");
        var (clean, attacked) = IndependentAccuracy(config);
        Assert.Equal(clean, r.Overall.Clean, 9);
        Assert.Equal(attacked, r.Overall.Attacked, 9);
        if (r.Overall.AttackDrop > 0)
            Assert.Equal((r.Overall.Suppressed - r.Overall.Attacked) / (r.Overall.Clean - r.Overall.Attacked), r.Overall.Recovered!.Value, 9);
        else Assert.Null(r.Overall.Recovered);
        Assert.Equal(r.AttackMaterial, r.Recovered is not null);
        if (r.AttackMaterial)
            Assert.True(r.Overall.Regained > r.Overall.RandomRegained,
                $"suppressing the text features regained {r.Overall.Regained:F3}, random features {r.Overall.RandomRegained:F3}");
        // Measured on this small model: the attack costs nothing (it barely reads), so there is nothing to recover;
        // what holds either way is that the SAE has features that see the word (AUROC 0.85 measured).
        Assert.True(r.ChosenAuroc[0] >= 0.7, $"best word detector has AUROC {r.ChosenAuroc[0]:F2}");
        // The ink control: the same scenes with the true word at the same place; its accuracy is a real share.
        Assert.InRange(r.Overall.TrueWord, 0, 1);
        Assert.Equal(r.Overall.TrueWord - r.Overall.Attacked, r.Overall.ReadingDrop, 12);

        var path = Path.Combine(Path.GetTempPath(), $"typo-{Guid.NewGuid():N}.png");
        try
        {
            TypographicPlotPng.Write(r, path);
            using var bitmap = SKBitmap.Decode(path);
            var red = 0;
            for (var y = 0; y < bitmap.Height; y++)
                for (var x = 0; x < bitmap.Width; x++)
                    if (bitmap.GetPixel(x, y) == new SKColor(210, 40, 40)) red++;
            Assert.True(red > 100, $"only {red} red pixels: the attacked bars were not drawn");
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void EffectSelectionPicksAmongTheWordDetectorsAndChecksItsBudget()
    {
        // Quality is measured on the zoo CLIP (bench/RESULTS.md); this small model barely reads. Here: the effect
        // ranking runs, keeps TopK of the word detectors it tried, and the held-out numbers stay consistent.
        var config = new TypographicConfig { CalibrationImages = 64, EvalImages = 64, TopK = 3, RandomTrials = 1, EffectCandidates = 6 };
        Assert.Equal(TextFeatureSelection.Effect, config.Selection);
        var r = TypographicDefence.Run(fx.Model, fx.Tokenizer, fx.Sae, SteeringFixture.Hook, config);
        var detection = TypographicDefence.Run(fx.Model, fx.Tokenizer, fx.Sae, SteeringFixture.Hook, config with { Selection = TextFeatureSelection.Detection, EffectCandidates = 6 });
        output.WriteLine($"effect chose {string.Join(",", r.ChosenFeatures)}; detection {string.Join(",", detection.ChosenFeatures)}; regained {r.Overall.Regained:F3} vs {detection.Overall.Regained:F3}");
        Assert.Equal(config.TopK, r.ChosenFeatures.Count);
        Assert.All(r.ChosenAuroc, a => Assert.True(a > 0.5));
        // Every chosen feature is one of the 6 best detectors, the candidates the effect ranking tried.
        var sixth = detection.ChosenAuroc.Count == 3 ? TypographicDefence.Run(fx.Model, fx.Tokenizer, fx.Sae, SteeringFixture.Hook,
            config with { Selection = TextFeatureSelection.Detection, TopK = 6 }).ChosenAuroc.Min() : 0;
        Assert.All(r.ChosenAuroc, a => Assert.True(a >= sixth - 1e-12, $"AUROC {a:F3} is below the 6th best detector's {sixth:F3}"));
        Assert.Equal(r.Overall.Clean, detection.Overall.Clean, 9);
        Assert.Equal(r.Overall.Attacked, detection.Overall.Attacked, 9);

        var e = Assert.Throws<ArgumentException>(() => (config with { EffectCandidates = 2 }).Validate());
        Assert.Contains("EffectCandidates", e.Message);
    }

    /// <summary>Clean and attacked accuracy recomputed here from the scene pairs, through the plain probe.</summary>
    (double Clean, double Attacked) IndependentAccuracy(TypographicConfig config)
    {
        using var scope = NewDisposeScope();
        var world = AttackScenes.Generator(fx.Model.Config.Vision.ImageSize);
        var (attackedScenes, cleanScenes) = AttackScenes.Pairs(world, config.EvalSeed, config.EvalImages);
        Assert.All(attackedScenes.Zip(cleanScenes), p =>
        {
            Assert.True(p.First.Overlay!.IsAttack);
            Assert.Null(p.Second.Overlay);
            Assert.Equal(p.First.Objects, p.Second.Objects);
        });
        using var probe = new ZeroShotProbe(fx.Model, fx.Tokenizer, [ObjectAttribute.Colour, ObjectAttribute.Shape]);
        double Accuracy(IReadOnlyList<Scene> scenes)
        {
            using var batch = world.Batch(scenes);
            var probs = probe.Probabilities(batch.Images);
            return scenes.Select((s, i) => probs[s.Overlay is null ? attackedScenes[i].Overlay!.Attribute : s.Overlay.Attribute][i].argmax().item<long>()
                == s.Objects[0].Value(attackedScenes[i].Overlay!.Attribute)).Count(ok => ok) / (double)scenes.Count;
        }
        return (Accuracy(cleanScenes), Accuracy(attackedScenes));
    }

    [Fact]
    public void BadInputsGiveClearErrors()
    {
        void Bad(TypographicConfig config, string field) =>
            Assert.Contains(field, Assert.Throws<ArgumentException>(() => config.Validate()).Message);
        Bad(new TypographicConfig { TopK = 0 }, "TopK");
        Bad(new TypographicConfig { RandomTrials = 0 }, "RandomTrials");
        Bad(new TypographicConfig { EvalImages = 1 }, "EvalImages");
        Bad(new TypographicConfig { MaterialDrop = 0 }, "MaterialDrop");
        Bad(new TypographicConfig { EvalSeed = 1, CalibrationSeed = 1 }, "EvalSeed");
        Bad(new TypographicConfig { Suppression = (TextSuppression)7 }, "Suppression");
        var e = Assert.Throws<ArgumentException>(() => TypographicDefence.Run(fx.Model, fx.Tokenizer, fx.Sae, "vision.blocks.1.mlp", new TypographicConfig()));
        Assert.Contains("not a vision hook point", e.Message);
        e = Assert.Throws<ArgumentException>(() => AttackScenes.Pairs(new ShapesWorldGenerator(), 1, 4));
        Assert.Contains("OverlayRate", e.Message);
    }
}
