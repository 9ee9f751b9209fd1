using MMInterp.Kernels.Interp.Features;
using MMInterp.Kernels.Models.Clip;
using MMInterp.Kernels.Plots;
using MMInterp.Kernels.Sae;
using MMInterp.Kernels.ShapesWorld;
using MMInterp.Kernels.Tests.Zoo;
using SkiaSharp;
using TorchSharp;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Tests.Interp.Features;

/// <summary>Feature study of an SAE on the shared tiny CLIP's mid layer, judged against controls measured in the same
/// run (a fresh SAE of the same shape, random directions). Colour is what this CLIP learns (shape is not asserted).</summary>
[Collection(TrainedTinyClipCollection.Name)]
public class FeatureStudyTests(TrainedTinyClipFixture trained, ITestOutputHelper output)
{
    FeatureStudyResult Study()
    {
        var (_, study) = TrainedFeatureStudy.Get(trained);
        foreach (var (k, v) in study.Figures) output.WriteLine($"{k}: {v:F3}");
        return study;
    }

    [Fact]
    public void TrainedSaeDetectsColoursFarBetterThanAFreshSae()
    {
        var study = Study();
        var fresh = study.RandomSae!;
        foreach (var c in study.Recovery.PerConcept.Where(c => c.Group == "colour"))
            output.WriteLine($"{c.ConceptName}: feature {c.Feature} auroc {c.Auroc:F3}; fresh SAE {fresh.PerConcept.Single(x => x.Concept == c.Concept).Auroc:F3}");
        var trainedAuroc = study.Recovery.MeanBestAurocByGroup["colour"];
        var freshAuroc = fresh.MeanBestAurocByGroup["colour"];
        // Block 0 is close to pixels, so even random directions detect colours fairly well (measured mean AUROC 0.83);
        // the trained SAE's features reach the 0.9 bar for several times as many colours (measured 0.62 vs 0.12).
        var recovered = study.Recovery.RecoveryByGroup["colour"];
        var freshRecovered = fresh.RecoveryByGroup["colour"];
        Assert.True(recovered >= freshRecovered + 0.25, $"colour recovery {recovered:F3} vs fresh SAE {freshRecovered:F3}");
        Assert.True(trainedAuroc >= freshAuroc + 0.03, $"mean best colour AUROC {trainedAuroc:F3} vs fresh SAE {freshAuroc:F3}");
        Assert.InRange(study.Recovery.Recovery, 0, 1);
    }

    [Fact]
    public void FreeLabelsNameColourFeaturesFarMoreOftenThanRandomDirections()
    {
        var study = Study();
        foreach (var r in study.LabelAccuracy.Rows.Where(r => r.Concept.StartsWith("colour", StringComparison.Ordinal)))
            output.WriteLine($"feature {r.Feature} detects {r.Concept}: labelled '{r.Label}' {(r.Correct ? "right" : "wrong")}");
        var colour = study.LabelAccuracy.ByGroup["colour"];
        var random = study.RandomDirectionLabels!.ByGroup["colour"];
        // Chance for one colour among the 27 standard prompts is 1/27. Only about ten features detect a colour, and the
        // tiny model's training differs in float rounding with the libtorch thread count that parallel tests set
        // (measured 0.77 alone, 0.40 in a full-suite run): the bar is several times chance and clear of the control.
        Assert.True(colour >= 0.25, $"free labels name {colour:P0} of the colour-detecting features (random directions {random:P0})");
        Assert.True(colour >= random + 0.15, $"free labels {colour:F3} vs random directions {random:F3}");
        Assert.True(study.LabelAccuracy.Accuracy > study.RandomDirectionLabels.Accuracy,
            $"overall {study.LabelAccuracy.Accuracy:F3} vs random directions {study.RandomDirectionLabels.Accuracy:F3}");
    }

    [Fact]
    public void TheLabellerNamesTheColoursOwnDirections()
    {
        // Positive control: a colour's mean-difference direction at the hook is named by its colour word.
        var (_, study) = TrainedFeatureStudy.Get(trained);
        var control = study.ConceptDirectionLabels!;
        var colours = control.Rows.Where(r => r.Concept.StartsWith("colour=", StringComparison.Ordinal)).ToList();
        Assert.Equal(AttributeWords.Colours.Length, colours.Count);
        var named = colours.Count(r => r.Correct) / (double)colours.Count;
        var asColour = colours.Count(r => AttributeWords.Colours.Any(w => r.Label.Contains($" {w} ", StringComparison.Ordinal))) / (double)colours.Count;
        // This small CLIP mixes neighbouring colours (green/cyan/blue): the exact colour is named for 2 of 8 (chance is
        // 1 in the vocabulary's 24 entries), and 7 of 8 are named as some colour (chance 8 in 24).
        Assert.True(asColour >= 0.75, $"only {asColour:P0} of the colours' own directions are named as a colour");
        Assert.True(named >= 0.125, $"the labeller names {named:P0} of the colours' own directions");
        Assert.True(study.Figures["free_label_accuracy_concept_directions"] >= 0 && double.IsFinite(study.Figures["detector_concept_cosine"]));
    }

    [Fact]
    public void ReportsCoverEveryFeatureAndAgreeWithTheActivations()
    {
        var (sae, study) = TrainedFeatureStudy.Get(trained);
        Assert.Equal(sae.Config.DSae, study.Features.Count);
        Assert.Equal(study.Activations.LiveFeatures(), study.LiveFeatures);
        Assert.Equal(study.LiveFeatures, study.Labels.Count);
        Assert.True(study.LiveFeatures > sae.Config.DSae / 2, $"only {study.LiveFeatures} live features");
        foreach (var f in study.Features)
        {
            Assert.InRange(f.Density, 0, 1);
            Assert.InRange(f.ImageDensity, f.Density, 1);
            if (f.Density > 0) Assert.Equal(TrainedFeatureStudy.Config.Labels.TopK, f.Labels.Count);
        }
        Assert.Contains("background=grey", study.Recovery.PerConcept.Select(c => c.ConceptName));
        Assert.Contains("overlay=word", study.Recovery.PerConcept.Select(c => c.ConceptName));
    }

    [Fact]
    public void FeaturePicturesArePngsOfTheExpectedSize()
    {
        var (sae, study) = TrainedFeatureStudy.Get(trained);
        var model = trained.Loaded.Model;
        var feature = study.Recovery.PerConcept.Where(c => c.Group == "colour").MaxBy(c => c.Auroc)!.Feature;
        var dir = Directory.CreateTempSubdirectory("mminterp-feature-png-").FullName;
        try
        {
            var (top, hist) = ClipFeatureStudy.RenderFeature(model, sae, study, feature, dir, topK: 9);
            // Sizes in logical pixels; the PNG holds Raster.DeviceScale device pixels for each.
            const int d = Raster.DeviceScale;
            using (var bitmap = SKBitmap.Decode(top))
            {
                // 3 x 3 tiles of 128 px (32 px images at 4x) with 10 px gaps, a 28 px title and two 12 px caption lines.
                Assert.InRange(bitmap.Width, (10 + 3 * 138) * d, 1200 * d); // wider when the title is
                Assert.Equal((28 + 3 * (128 + 30 + 10) + 10) * d, bitmap.Height);
            }
            using (var bitmap = SKBitmap.Decode(hist))
            {
                Assert.Equal(640 * d, bitmap.Width);
                Assert.Equal(360 * d, bitmap.Height);
            }
            var layers = Path.Combine(dir, "layers.png");
            ClipFeatureStudy.WriteLayerPlot([study, study], layers);
            using (var bitmap = SKBitmap.Decode(layers)) Assert.True(bitmap.Width >= 520 * d && bitmap.Height == 380 * d, $"layer plot {bitmap.Width}x{bitmap.Height}");

            // The top tiles are the images where the feature is strongest, and their heatmaps come from the same forward pass.
            var best = study.Activations.TopImages(feature, 1).Single();
            var tokens = FeatureActivations.TokenActivations(model, sae, study.Hook, study.Activations.World!, [study.Activations.Scenes[best]], feature).Single();
            Assert.Equal(study.Activations.MaxPerImage[best, feature], tokens.Max(), 4);
            Assert.Throws<ArgumentException>(() => ClipFeatureStudy.RenderFeature(model, sae, study, sae.Config.DSae, dir));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void BadHooksSaesAndActivationsGiveClearErrors()
    {
        var model = trained.Loaded.Model;
        var tokenizer = trained.Loaded.Tokenizer!;
        var world = new ShapesWorldGenerator();
        var width = model.Config.Vision.Tower.HiddenSize;
        using var sae = SaeFactory.Create(new SaeConfig { Kind = SaeKind.TopK, DIn = width, DSae = 16, K = 4 });

        var e = Assert.Throws<ArgumentException>(() => FeatureActivations.Compute(model, sae, "vision.blocks.9.hook_resid_post", world, 1, 16));
        Assert.Contains("vision.blocks.9.hook_resid_post", e.Message);
        e = Assert.Throws<ArgumentException>(() => FeatureActivations.Compute(model, sae, "text.blocks.0.hook_resid_post", world, 1, 16));
        Assert.Contains("not on the vision tower", e.Message);
        e = Assert.Throws<ArgumentException>(() => FreeLabeler.Label(model, tokenizer, sae, "vision.blocks.0.attn.hook_pattern"));
        Assert.Contains("attention patterns", e.Message);

        using var wide = SaeFactory.Create(new SaeConfig { Kind = SaeKind.TopK, DIn = width + 16, DSae = 16, K = 4 });
        e = Assert.Throws<ArgumentException>(() => FeatureActivations.Compute(model, wide, TrainedFeatureStudy.Hook, world, 1, 16));
        Assert.Contains($"d_in is {width + 16}", e.Message);
        Assert.Contains($"width {width}", e.Message);
        e = Assert.Throws<ArgumentException>(() => FreeLabeler.Label(model, tokenizer, wide, TrainedFeatureStudy.Hook));
        Assert.Contains("width", e.Message);

        using var poisoned = SaeFactory.Create(new SaeConfig { Kind = SaeKind.TopK, DIn = width, DSae = 16, K = 4 });
        using (no_grad()) poisoned.b_enc.fill_(double.NaN);
        var nan = Assert.Throws<InvalidOperationException>(() => FeatureActivations.Compute(model, poisoned, TrainedFeatureStudy.Hook, world, 1, 16));
        Assert.Contains("non-finite", nan.Message);

        e = Assert.Throws<ArgumentException>(() => ClipFeatureStudy.Run(model, tokenizer, sae, TrainedFeatureStudy.Hook, new FeatureStudyConfig { Threshold = 0.4 }));
        Assert.Contains("Threshold", e.Message);
        e = Assert.Throws<ArgumentException>(() => FreeLabeler.Label(model, tokenizer, sae, TrainedFeatureStudy.Hook, ["red", " "]));
        Assert.Contains("blank", e.Message);
        e = Assert.Throws<ArgumentException>(() => new FreeLabelConfig { Strength = 0 }.Validate());
        Assert.Contains("Strength", e.Message);
    }

    [Fact]
    public void DirectProjectionIsOnlyOfferedForResidualHooks()
    {
        var model = trained.Loaded.Model;
        using var sae = SaeFactory.Create(new SaeConfig { Kind = SaeKind.TopK, DIn = model.Config.Vision.Tower.IntermediateSize, DSae = 8, K = 2 });
        var e = Assert.Throws<ArgumentException>(() => FreeLabeler.Label(model, trained.Loaded.Tokenizer!, sae, "vision.blocks.0.mlp.hook_post",
            config: new FreeLabelConfig { Method = FreeLabelMethod.DirectProjection }));
        Assert.Contains("residual-stream hook", e.Message);
        // The main method works at any per-token hook.
        var labels = FreeLabeler.Label(model, trained.Loaded.Tokenizer!, sae, "vision.blocks.0.mlp.hook_post", ["red", "green", "blue"], new FreeLabelConfig { TopK = 2 });
        Assert.Equal(8, labels.Length);
        Assert.All(labels, l => Assert.Equal(2, l.Top.Count));
    }
}
