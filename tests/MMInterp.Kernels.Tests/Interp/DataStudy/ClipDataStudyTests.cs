using MMInterp.Kernels.Interp.DataStudy;
using MMInterp.Kernels.Interp.Features;
using MMInterp.Kernels.ShapesWorld;
using MMInterp.Kernels.Tests.Interp.Features;
using MMInterp.Kernels.Tests.Zoo;
using MMInterp.Kernels.Text;
using Xunit;
using Xunit.Abstractions;
using F = MMInterp.Kernels.Interp.DataStudy.ClipDataStudyFigures;

namespace MMInterp.Kernels.Tests.Interp.DataStudy;

/// <summary>The CLIP study on a "user's" dataset: single-object ShapesWorld scenes handed over as decoded RGB images,
/// labelled by colour (what the shared tiny CLIP learns), with two corrupt files among them, studied with the feature
/// study's SAE on block 0. Judged against the controls measured in the same run.</summary>
[Collection(TrainedTinyClipCollection.Name)]
public sealed class ClipDataStudyTests(TrainedTinyClipFixture trained, ITestOutputHelper output) : IDisposable
{
    static readonly ClipDataStudyOptions Small = new()
    {
        Images = 256, HeldOutImages = 64, BatchSize = 64, LabelFeatures = 32, ReferenceDirections = 16, SteerFeatures = 8,
        TypographicCalibrationImages = 32, TypographicImages = 32, TypographicCandidates = 8, TopKText = 4, RandomTrials = 2, Dashboards = 3,
    };

    readonly string _dir = Directory.CreateTempSubdirectory("mminterp-datastudy-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>The zoo CLIP's captions say "a photo of a red object": the vocabulary uses that template.</summary>
    static Vocabulary Colours => new("colours", AttributeWords.Colours, ["a photo of a {} object"]);

    ClipDataStudyResult Run(bool labelled, ClipDataStudyOptions options, IReadOnlySet<int>? broken = null, string? sub = null)
    {
        var (sae, _) = TrainedFeatureStudy.Get(trained);
        var model = trained.Loaded.Model;
        var size = model.Config.Vision.ImageSize;
        var inputs = new ClipDataStudyInputs(model, trained.Loaded.Tokenizer!, sae, TrainedFeatureStudy.Hook,
            new ShapesImageDataset(400, size, labelled, broken), new UnitPreprocessor(size), Colours, Path.Combine(_dir, sub ?? (labelled ? "labelled" : "unlabelled")));
        var result = ClipDataStudy.Run(inputs, options);
        foreach (var h in result.Headlines)
            output.WriteLine($"{h.Figure} = {h.Value:F3}  [{string.Join("; ", h.Controls.Select(c => $"{c.Name} {c.Value:F3}"))}]");
        foreach (var (k, v) in result.Notes) output.WriteLine($"{k}: {v}");
        return result;
    }

    [Fact]
    public void OnALabelledDatasetTheFiguresBeatTheirControls()
    {
        var r = Run(labelled: true, Small, broken: new HashSet<int> { 3, 17 });
        var f = r.Figures;
        Assert.True(r.Labelled);
        Assert.Equal(256, f[F.ImagesStudied]);
        Assert.Equal(64, f[F.ImagesHeldOut]);

        // Concept recovery uses the labels: the trained SAE detects far more colours than an untrained one.
        Assert.True(f[F.MeanBestAuroc] >= f[F.MeanBestAurocRandomSae] + 0.03, $"mean best AUROC {f[F.MeanBestAuroc]:F3} vs untrained SAE {f[F.MeanBestAurocRandomSae]:F3}");
        Assert.True(f[F.ConceptRecovery] >= f[F.ConceptRecoveryRandomSae] + 0.25, $"recovery {f[F.ConceptRecovery]:F3} vs untrained SAE {f[F.ConceptRecoveryRandomSae]:F3}");
        // Free labels of the colour detectors name their colour more often than random directions do; the labels' own
        // directions (positive control) are named at least as often as chance (1 in 8).
        Assert.True(f[F.FreeLabelAccuracy] >= f[F.FreeLabelAccuracyRandom] + 0.15, $"free labels {f[F.FreeLabelAccuracy]:F3} vs random directions {f[F.FreeLabelAccuracyRandom]:F3}");
        Assert.True(f[F.FreeLabelAccuracyConceptDirections] >= 0.125, $"the labels' own directions are named {f[F.FreeLabelAccuracyConceptDirections]:P0}");
        // Every figure beside a control is there, and shares are shares.
        foreach (var name in new[] { F.SteerableShare, F.SteerableShareRandom, F.SteeringFlipRate, F.SteeringFlipRateRandom, F.ZeroShotAccuracy,
                     F.ZeroShotAccuracySaeInserted, F.TopImageAgreement, F.TopImageAgreementShuffled, F.FreeLabelScore, F.FreeLabelScoreRandom })
            Assert.True(f.ContainsKey(name), $"figure {name} missing");
        foreach (var name in new[] { F.SteerableShare, F.SteerableShareRandom, F.ZeroShotAccuracy, F.ZeroShotAccuracySaeInserted, F.ZeroShotAgreementSaeInserted })
            Assert.InRange(f[name], 0, 1);
        Assert.Equal(8, (int)f[F.SteeringTestedFeatures]);
        // Clamping colour detectors moves predictions to their colour more often than random pushes of equal norm
        // (measured 0.23 vs 0.03; none passes the strict steerable bar on this tiny CLIP at block 0).
        Assert.True(f[F.SteeringFlipRate] > f[F.SteeringFlipRateRandom] + 0.05, $"flip rate {f[F.SteeringFlipRate]:F3} vs random {f[F.SteeringFlipRateRandom]:F3}");
        // The zoo CLIP tells colours apart zero-shot: far above one in eight.
        Assert.True(f[F.ZeroShotAccuracy] >= 0.5, $"zero-shot colour accuracy {f[F.ZeroShotAccuracy]:F3}");

        Assert.All(new[] { "steering", "typographic", "attack_examples", "concept_recovery", "free_labels" }, name =>
        {
            Assert.True(r.Pictures.TryGetValue(name, out var path), $"picture {name} missing");
            Assert.Equal(0x89, File.ReadAllBytes(path)[0]);
        });
        var withPictures = r.Features.Where(x => x.Pictures.Count > 0).ToList();
        Assert.Equal(3, withPictures.Count);
        Assert.All(withPictures, x => Assert.True(File.Exists(x.Pictures["top_examples"]) && File.Exists(x.Pictures["histogram"])));
        Assert.Equal(TrainedFeatureStudy.Get(trained).Sae.Config.DSae, r.Features.Count);
        Assert.Equal((int)f[F.LabelledFeatures], r.Features.Count(x => x.FreeLabels.Count > 0));
    }

    [Fact]
    public void UndecodableImagesAreCountedNamedAndSkipped()
    {
        var r = Run(labelled: true, Small with { SteerFeatures = 0, TypographicImages = 0, Dashboards = 0, LabelFeatures = 4 }, broken: new HashSet<int> { 3, 17, 250 }, sub: "skips");
        // The sample is seeded: whichever of the broken files fall among the images tried are skipped, the rest are not
        // tried; the study still has its full count of good images.
        Assert.Equal(r.Skipped.Count, (int)r.Figures[F.ImagesSkipped]);
        Assert.InRange(r.Skipped.Count, 1, 3);
        Assert.All(r.Skipped, s => Assert.Matches(@"^scenes/(0003|0017|0250)\.png$", s.Key));
        Assert.All(r.Skipped, s => Assert.Equal("not a PNG file (bad signature)", s.Problem));
        Assert.Equal(256 + 64, r.Figures[F.ImagesStudied] + r.Figures[F.ImagesHeldOut]);
    }

    [Fact]
    public void OnAnUnlabelledDatasetSteeringAndTheAttackAreJudgedOverTheVocabulary()
    {
        var r = Run(labelled: false, Small with { Dashboards = 1 });
        var f = r.Figures;
        Assert.False(r.Labelled);
        foreach (var needsLabels in new[] { F.ConceptRecovery, F.FreeLabelAccuracy, F.ZeroShotAccuracy })
            Assert.False(f.ContainsKey(needsLabels), $"{needsLabels} needs labels but was reported");
        // Without labels the truth of the attack is the clean prediction: clean accuracy is 1 by construction.
        Assert.Equal(1.0, f[F.TypographicCleanAccuracy]);
        Assert.InRange(f[F.TypographicTrueWordAccuracy], 0, 1);
        Assert.True(f.ContainsKey(F.TypographicRecoveredRandom) && f.ContainsKey(F.TypographicCleanCostRandom));
        Assert.InRange(f[F.TopImageAgreement], 0, 1);
        Assert.Contains(r.Headlines, h => h.Figure == F.TypographicAttackDrop && h.Controls.Any(c => c.Name == F.TypographicTrueWordAccuracy));
    }

    [Fact]
    public void AMissingFontFailsFirstWithOneClearLine()
    {
        var missing = Path.Combine(_dir, "no-such-font.ttf");
        var e = Assert.Throws<FileNotFoundException>(() => Run(labelled: true, Small with { FontPath = missing }, sub: "font"));
        Assert.StartsWith($"{missing}: font file missing", e.Message);
        Assert.DoesNotContain('\n', e.Message);
        Assert.False(Directory.Exists(Path.Combine(_dir, "font")), "work started before the font was checked");
    }

    [Fact]
    public void OptionsAreReadByTheirTableNames()
    {
        var o = ClipDataStudyOptions.FromValues([new("images", 64), new("word_scale", 0.2), new("steer_features", 0)]);
        Assert.Equal(64, o.Images);
        Assert.Equal(0.2, o.WordScale);
        Assert.Equal(0, o.SteerFeatures);
        Assert.Equal(ClipDataStudyOptions.Default.HeldOutImages, o.HeldOutImages);
        Assert.Equal(o.Values().Keys.Order(), ClipDataStudyOptions.Table.Select(t => t.Name).Order());
        Assert.Contains("known: images, held_out_images", Assert.Throws<ArgumentException>(() => ClipDataStudyOptions.FromValues([new("imags", 3)])).Message);
        Assert.Contains("whole number", Assert.Throws<ArgumentException>(() => ClipDataStudyOptions.FromValues([new("images", 3.5)])).Message);
        Assert.Contains("option images must be at least 8", Assert.Throws<ArgumentException>(() => ClipDataStudyOptions.FromValues([new("images", 3)])).Message);
        // Every control a headline names is a figure name of the study.
        var names = typeof(ClipDataStudyFigures).GetFields().Where(x => x.IsLiteral).Select(x => (string)x.GetRawConstantValue()!).ToHashSet();
        Assert.All(ClipDataStudyFigures.Headlines.SelectMany(h => h.Controls.Prepend(h.Figure)), n => Assert.Contains(n, names));
    }
}
