using System.Globalization;
using MMInterp.Kernels.Models.Clip;
using MMInterp.Kernels.Plots;
using MMInterp.Kernels.Sae;
using MMInterp.Kernels.ShapesWorld;
using MMInterp.Kernels.Text;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Interp.Features;

/// <summary>One entry for a CLIP SAE feature study: activations on held-out ShapesWorld images, ground-truth concept
/// recovery (AUROC), free labels and their accuracy, per-feature reports, the controls, and the feature pictures.</summary>
public static class ClipFeatureStudy
{
    public static FeatureStudyResult Run(ClipModel model, ClipBpeTokenizer tokenizer, ISparseAutoencoder sae, string hook, FeatureStudyConfig? config = null)
    {
        var c = (config ?? FeatureStudyConfig.Default).Validate();
        c = c with { Labels = c.Labels with { Tokens = c.Tokens } };
        HookLatents.CheckHook(model, hook);
        var world = World(model, c);
        var activations = FeatureActivations.Compute(model, sae, hook, world, c.Seed, c.Images, c.BatchSize, tokens: c.Tokens);
        var concepts = ConceptSet.FromScenes(activations.Scenes);
        var recovery = ConceptRecovery.Compute(activations, concepts, c.Threshold, ConceptSet.CaptionGroups);
        var vocabulary = c.Vocabulary ?? ConceptSet.CaptionVocabulary;
        var groups = c.LabelGroups ?? ConceptSet.CaptionGroups;
        var live = Enumerable.Range(0, activations.Features).Where(f => activations.TokenDensity[f] > 0).ToList();
        var labels = FreeLabeler.Label(model, tokenizer, sae, hook, vocabulary, c.Labels, live);
        var accuracy = FreeLabelAccuracy.Compute(recovery, labels, vocabulary, groups);
        var byFeature = labels.ToDictionary(l => l.Feature);

        ConceptRecoveryResult? randomSae = null;
        FreeLabelAccuracyResult? randomDirections = null, direct = null;
        ConceptDirections.Result? conceptLabels = null;
        var detectorCosine = double.NaN;
        var scored = FreeLabelAccuracy.Scored(recovery, groups);
        var detecting = scored.Select(f => f.Feature).ToList();
        if (c.Controls)
        {
            randomSae = RandomSaeRecovery(model, sae, hook, world, c, concepts);
            using var scope = NewDisposeScope();
            var random = FreeLabeler.RandomDirections(detecting.Count, sae.Config.DIn, c.ControlSeed);
            var randomLabels = FreeLabeler.LabelDirections(model, tokenizer, hook, random, detecting, vocabulary, c.Labels);
            randomDirections = FreeLabelAccuracy.Compute(recovery, randomLabels, vocabulary, groups);
            // Positive control: the concepts' own directions at this hook, named by the same labeller.
            var (directions, directionConcepts) = ConceptDirections.Compute(model, hook, world, c.Seed, c.Images, groups.ToHashSet(), c.BatchSize, c.Tokens);
            conceptLabels = ConceptDirections.Label(model, tokenizer, hook, directions, directionConcepts, vocabulary, c.Labels);
            detectorCosine = ConceptDirections.DetectorCosine(FreeLabeler.DecoderDirections(sae), scored, directions, directionConcepts);
        }
        if (FreeLabeler.DirectProjectionApplies(hook) && sae.Config.DIn == model.Config.Vision.Tower.HiddenSize)
        {
            var directLabels = FreeLabeler.Label(model, tokenizer, sae, hook, vocabulary, c.Labels with { Method = FreeLabelMethod.DirectProjection }, detecting);
            direct = FreeLabelAccuracy.Compute(recovery, directLabels, vocabulary, groups);
        }

        var reports = new List<FeatureReport>(activations.Features);
        for (var f = 0; f < activations.Features; f++)
        {
            var best = recovery.PerFeature[f];
            var column = activations.ImageActivations(f);
            reports.Add(new FeatureReport(f, activations.TokenDensity[f], activations.ImageDensity(f), activations.MeanNonzero[f], column.Max(),
                best.Concept < 0 ? null : best.ConceptName, best.Auroc, byFeature.TryGetValue(f, out var l) ? l.Top : []));
        }
        return new FeatureStudyResult(hook, activations, recovery, labels, accuracy, reports, live.Count, randomSae, randomDirections, direct)
        {
            ConceptDirectionLabels = conceptLabels, DetectorConceptCosine = detectorCosine,
        };
    }

    /// <summary>A study per (hook, SAE) pair: figures per layer, for <see cref="ConceptRecoveryPng"/>.</summary>
    public static IReadOnlyList<FeatureStudyResult> RunLayers(ClipModel model, ClipBpeTokenizer tokenizer,
        IReadOnlyList<(string Hook, ISparseAutoencoder Sae)> layers, FeatureStudyConfig? config = null)
    {
        if (layers.Count == 0) throw new ArgumentException("no (hook, SAE) pairs given", nameof(layers));
        return layers.Select(l => Run(model, tokenizer, l.Sae, l.Hook, config)).ToList();
    }

    /// <summary>Writes the per-layer bar chart of concept recovery and free-label accuracy with their controls.</summary>
    public static void WriteLayerPlot(IReadOnlyList<FeatureStudyResult> studies, string path) =>
        ConceptRecoveryPng.Write(studies.Select(s => new ConceptRecoveryPng.Row(s.Hook, s.Recovery.Recovery, s.LabelAccuracy.Accuracy,
            s.RandomSae?.Recovery, s.RandomDirectionLabels?.Accuracy)).ToList(), path);

    /// <summary>Writes feature_{f}_top.png (top images with patch heatmaps) and feature_{f}_hist.png (per-image max
    /// activations, log counts) into <paramref name="directory"/>; returns both paths.</summary>
    public static (string TopExamples, string Histogram) RenderFeature(ClipModel model, ISparseAutoencoder sae, FeatureStudyResult study,
        int feature, string directory, int topK = 9)
    {
        var set = study.Activations;
        set.CheckFeature(feature);
        if (topK < 1) throw new ArgumentException($"topK must be positive, got {topK}", nameof(topK));
        if (sae.Config.DSae != set.Features) throw new ArgumentException($"the SAE has {sae.Config.DSae} features but the study {set.Features}", nameof(sae));
        Directory.CreateDirectory(directory);
        var world = set.World ?? throw new ArgumentException("the study was not made on ShapesWorld scenes", nameof(study));
        var top = set.TopImages(feature, topK).Select(i => set.Scenes[i]).ToList();
        var tokens = FeatureActivations.TokenActivations(model, sae, study.Hook, world, top, feature);
        // The pooled hook is one token (the class token): no patch heatmap, its value shown as the class token's.
        var perImage = model.Config.Vision.PatchesPerSide * model.Config.Vision.PatchesPerSide + 1;
        tokens = tokens.Select(t => t.Length == 1 ? t.Concat(new float[perImage - 1]).ToArray() : t).ToArray();
        var report = study.Features[feature];
        var best = report.BestConcept is null ? "" : string.Create(CultureInfo.InvariantCulture, $" best {report.BestConcept} auroc {report.BestAuroc:0.00}");
        var topPath = Path.Combine(directory, $"feature_{feature}_top.png");
        FeatureTopExamplesPng.Write(Thumbnails(world, top), world.Config.ImageSize, tokens, model.Config.Vision.PatchesPerSide, $"feature {feature} at {study.Hook}{best}", topPath);
        var histPath = Path.Combine(directory, $"feature_{feature}_hist.png");
        ActivationHistogramPng.Write(set.ImageActivations(feature), $"feature {feature}: max activation per image", histPath);
        return (topPath, histPath);
    }

    /// <summary>Rendered scenes captioned with their index, for the top-examples grid.</summary>
    static IReadOnlyList<(float[] Rgb, string Name)> Thumbnails(ShapesWorldGenerator world, IReadOnlyList<Scene> scenes) =>
        scenes.Select(s => (world.Render(s).Rgb, $"#{s.Index}")).ToList();

    static ShapesWorldGenerator World(ClipModel model, FeatureStudyConfig c) =>
        new(new ShapesWorldConfig { ImageSize = model.Config.Vision.ImageSize, OverlayRate = c.OverlayRate, AttackRate = c.WrongWordRate });

    /// <summary>Concept recovery of an untrained SAE of the same configuration (new seed, same input scale).</summary>
    static ConceptRecoveryResult RandomSaeRecovery(ClipModel model, ISparseAutoencoder sae, string hook, ShapesWorldGenerator world, FeatureStudyConfig c, ConceptSet concepts)
    {
        using var fresh = SaeFactory.Create(sae.Config with { Seed = sae.Config.Seed + c.ControlSeed }, sae.Device);
        fresh.NormScale = sae.NormScale;
        var activations = FeatureActivations.Compute(model, fresh, hook, world, c.Seed, c.Images, c.BatchSize, tokens: c.Tokens);
        return ConceptRecovery.Compute(activations, concepts, c.Threshold, ConceptSet.CaptionGroups);
    }
}
