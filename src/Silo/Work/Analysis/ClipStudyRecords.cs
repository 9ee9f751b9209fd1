using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using MMInterp.Grains.Contracts.Experiments;
using MMInterp.Grains.Registry;
using MMInterp.Kernels.Interp.Features;
using MMInterp.Kernels.Interp.Steering;
using MMInterp.Kernels.Interp.Typographic;

namespace MMInterp.Silo.Work.Analysis;

/// <summary>
/// Turns a CLIP study into registry rows: experiment results (figures beside their controls, pictures), one stats
/// object per feature in the web UI's contract, and labels by method (free-label, steering, ground-truth).
/// </summary>
public static class ClipStudyRecords
{
    public static AnalysisOutcome Build(FeatureStudyResult study, SteerabilityResult steering, TypographicResult typographic,
        IReadOnlyDictionary<int, JsonObject> featureImages, JsonObject images, string hook)
    {
        var figures = new JsonObject();
        foreach (var (name, value) in study.Figures) figures[name] = Finite(value);
        figures["steerable_share"] = steering.SteerableShare;
        figures["steerable_share_random"] = steering.RandomShare;
        figures["steerable_ratio_to_random"] = Finite(steering.ShareRatio);
        figures["steering_tested_features"] = steering.Features.Count;
        foreach (var c in steering.Inserted)
        {
            var a = c.Attribute.ToString().ToLowerInvariant();
            figures[$"zero_shot_{a}"] = c.Unhooked;
            figures[$"zero_shot_{a}_sae_inserted"] = c.ReconstructionOnly;
        }
        var t = typographic.Overall;
        figures["typographic_clean_accuracy"] = t.Clean;
        figures["typographic_attacked_accuracy"] = t.Attacked;
        figures["typographic_attack_drop"] = t.AttackDrop;
        figures["typographic_recovered"] = Finite(typographic.Recovered ?? double.NaN);
        figures["typographic_recovered_random"] = Finite(typographic.RandomRecovered ?? double.NaN);
        figures["typographic_clean_cost"] = t.CleanCost;
        figures["typographic_clean_cost_random"] = t.RandomCleanCost;
        figures["typographic_follows_word"] = t.FollowsWord;
        figures["typographic_true_word_accuracy"] = Finite(t.TrueWord);
        figures["typographic_reading_drop"] = Finite(t.ReadingDrop);

        var notes = new JsonObject
        {
            ["hook"] = hook,
            ["steering"] = string.Create(CultureInfo.InvariantCulture,
                $"steerable: the probability of the value the feature detects (AUROC >= {steering.Config.MinDetectionAuroc:0.00}, naming by {steering.Config.Naming.ToString().ToLowerInvariant()}) rises by {steering.Config.DeltaThreshold:0.00} and the prediction flips to it on {steering.Config.FlipThreshold:P0}; clamp {steering.Config.ClampMultiple}x the feature's p{steering.Config.ClampQuantile * 100:0} activation on every token; control: random directions of equal norm toward the same values"),
            ["typographic"] = typographic.AttackMaterial
                ? $"suppressed features {string.Join(", ", typographic.ChosenFeatures)} ({(typographic.Config.Selection == TextFeatureSelection.Effect
                    ? $"of the {typographic.Config.EffectCandidates} best word detectors, those whose zeroing alone helped most on calibration scenes"
                    : "the best word detectors")}); evaluated on held-out scenes; control: as many random live features"
                : "the attack barely changes this model's answers (it does not read the words), so recovery says little",
        };
        var results = new JsonObject { ["figures"] = figures, ["notes"] = notes, ["images"] = images };

        var steeringByFeature = steering.Features.ToDictionary(f => f.Feature);
        var textReaders = typographic.ChosenFeatures.ToHashSet();
        var layer = LayerOf(hook);
        var stats = new List<FeatureStats>(study.Features.Count);
        var labels = new List<NewLabel>();
        foreach (var f in study.Features)
        {
            var o = new JsonObject
            {
                ["hook"] = hook,
                ["density"] = Finite(f.Density),
                ["image_density"] = Finite(f.ImageDensity),
                ["mean_activation"] = Finite(f.MeanActivation),
                ["max_activation"] = Finite(f.MaxActivation),
                ["text_reading"] = textReaders.Contains(f.Index),
            };
            if (layer is { } l) o["layer"] = l;
            if (f.BestConcept is { } concept)
            {
                o["ground_truth"] = new JsonObject { ["concept"] = concept, ["auroc"] = Finite(f.BestAuroc) };
                if (f.BestAuroc >= study.Recovery.Threshold && double.IsFinite(f.BestAuroc)) labels.Add(new NewLabel(f.Index, concept, f.BestAuroc, LabelMethod.GroundTruth));
            }
            if (f.Labels.Count > 0)
            {
                o["free_labels"] = new JsonArray(f.Labels.Select(s => (JsonNode)new JsonObject { ["label"] = ConceptName(s.Label), ["score"] = Finite(s.Score) }).ToArray());
                foreach (var s in f.Labels.Where(s => double.IsFinite(s.Score)).DistinctBy(s => ConceptName(s.Label)))
                    labels.Add(new NewLabel(f.Index, ConceptName(s.Label), s.Score, LabelMethod.FreeLabel));
            }
            if (steeringByFeature.TryGetValue(f.Index, out var trial))
            {
                var target = $"{trial.Target.Attribute.ToString().ToLowerInvariant()}={trial.Target.Label}";
                o["steering"] = new JsonObject
                {
                    ["target"] = target, ["delta_prob"] = Finite(trial.Delta), ["flip_share"] = Finite(trial.FlipShare), ["steerable"] = trial.Steerable,
                };
                if (trial.Steerable && double.IsFinite(trial.Delta)) labels.Add(new NewLabel(f.Index, target, trial.Delta, LabelMethod.Steering));
            }
            if (featureImages.TryGetValue(f.Index, out var pictures)) o["images"] = pictures.DeepClone();
            stats.Add(new FeatureStats(f.Index, o.ToJsonString()));
        }
        return new AnalysisOutcome(results.ToJsonString(), stats, labels);
    }

    /// <summary>"a photo of a red object" becomes "colour=red" when it is a standard ShapesWorld prompt.</summary>
    static string ConceptName(string label) =>
        ConceptSet.Standard.FirstOrDefault(c => string.Equals(c.Prompt, label, StringComparison.OrdinalIgnoreCase))?.Name ?? label;

    internal static int? LayerOf(string hook)
    {
        var parts = hook.Split('.');
        return parts.Length > 2 && parts[1] == "blocks" && int.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var l) ? l : null;
    }

    /// <summary>JSON has no NaN: a figure that could not be measured is stored as null.</summary>
    static JsonNode? Finite(double v) => double.IsFinite(v) ? JsonValue.Create(v) : null;
}
