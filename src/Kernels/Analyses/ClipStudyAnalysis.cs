using System.Globalization;
using System.Text.Json.Nodes;
using MMInterp.Kernels.Extraction;
using MMInterp.Kernels.Interp.Features;
using MMInterp.Kernels.Interp.Steering;
using MMInterp.Kernels.Interp.Typographic;
using MMInterp.Kernels.Plots;

namespace MMInterp.Kernels.Analyses;

/// <summary>
/// The CLIP SAE study (issue 6): feature statistics against ShapesWorld truth, free labels, steerability with its
/// random-direction and SAE-inserted controls, and the typographic attack defence with its random-feature control; one
/// stats record per feature (the web UI's contract) and labels by method.
/// </summary>
public sealed class ClipStudyAnalysis() : Analysis<ClipStudyOptions>(Kind)
{
    public const string Kind = "clip-study";

    public override string Description => "CLIP SAE study: labels, concept recovery, steering, typographic attack on ShapesWorld";

    /// <summary>The groups of <see cref="FigureGroups.ClipStudy"/>, the one list every surface shows.</summary>
    public override IReadOnlyList<FigureSpec> Figures { get; } = FigureGroups.ClipStudy.Select(g => g.Spec).ToList();

    protected override async Task<AnalysisResult> RunAsync(ClipStudyOptions o, IAnalysisInputs inputs, Action<double, string> progress, CancellationToken ct)
    {
        const double stages = 5;
        var dictionary = await inputs.DictionaryAsync(null, ct);
        using var sae = dictionary.Sae;
        var clip = await inputs.ClipAsync(ct);
        using var model = clip.Model;
        var tokenizer = clip.Tokenizer ?? throw new ArgumentException($"model '{inputs.ModelId}' was registered without tokenizer files");
        model.eval();
        var hook = dictionary.HookPoint;
        var work = inputs.WorkDirectory;
        var tokens = StudyTokens(o.Tokens, dictionary);

        progress(0 / stages, "features: activations, ground truth, free labels");
        var study = ClipFeatureStudy.Run(model, tokenizer, sae, hook, FeatureStudyConfig.Default with { Images = o.Images, Tokens = tokens });

        progress(1 / stages, "steering: clamp features, random-direction control");
        var steerConfig = SteerabilityConfig.Default with { MaxFeatures = o.SteerFeatures, EvalImages = o.SteerImages, Tokens = tokens };
        var steering = Steerability.Run(model, tokenizer, sae, hook, steerConfig, cancel: ct);

        progress(2 / stages, "typographic attack and defence");
        var typoConfig = TypographicConfig.Default with
        {
            EvalImages = o.TypographicImages, TopK = o.TopKText, CalibrationImages = o.TypographicCalibrationImages, EffectCandidates = o.TypographicCandidates,
            Tokens = tokens,
        };
        var typographic = TypographicDefence.Run(model, tokenizer, sae, hook, typoConfig, cancel: ct);

        progress(3 / stages, "pictures");
        var result = new AnalysisResult();
        var layerPlot = Path.Combine(work, "concept_recovery.png");
        ClipFeatureStudy.WriteLayerPlot([study], layerPlot);
        result.Picture(layerPlot);
        // A layer where no feature detects a value well enough has no steering trial (its share is then 0 of 0): no picture.
        if (steering.Features.Count > 0)
        {
            var steeringPlot = Path.Combine(work, "steering.png");
            SteeringPlotPng.Write(steering.Features.OrderByDescending(f => f.Delta).Take(12).ToList(), steeringPlot);
            result.Picture(steeringPlot);
        }
        var typoPlot = Path.Combine(work, "typographic.png");
        TypographicPlotPng.Write(typographic, typoPlot);
        result.Picture(typoPlot);

        var featurePictures = new Dictionary<int, Dictionary<string, byte[]>>();
        var steeringByFeature = steering.Features.ToDictionary(f => f.Feature);
        foreach (var f in DashboardFeatures(study, steering, typographic, o.Dashboards))
        {
            ct.ThrowIfCancellationRequested();
            var (top, hist) = ClipFeatureStudy.RenderFeature(model, sae, study, f, work);
            var dashboard = new Dictionary<string, byte[]> { ["top_examples"] = File.ReadAllBytes(top), ["histogram"] = File.ReadAllBytes(hist) };
            if (steeringByFeature.TryGetValue(f, out var trial))
            {
                var path = Path.Combine(work, $"feature_{f}_steering.png");
                SteeringPlotPng.Write([trial], path, maxPanels: 1);
                dashboard["steering"] = File.ReadAllBytes(path);
            }
            featurePictures[f] = dashboard;
        }

        progress(4 / stages, "recording");
        Record(result, study, steering, typographic, featurePictures, hook, tokens);
        return result.ControlsOf(Figures);
    }

    /// <summary>The tokens a study counts: <paramref name="option"/> when given, which must be among those the dictionary
    /// was trained on (an SAE trained on the class token has never seen a patch), else the dictionary's own.</summary>
    public static TokenSelection StudyTokens(string? option, AnalysisDictionary dictionary)
    {
        if (option is null) return dictionary.Tokens;
        var tokens = TokenSelections.Parse(option);
        if (!dictionary.Tokens.Covers(tokens))
            throw new ArgumentException($"dictionary '{dictionary.Id}' was trained on {dictionary.Tokens.Name()} tokens; tokens '{tokens.Name()}' are not among them (use {dictionary.Tokens.Name()})");
        return tokens;
    }

    /// <summary>Features worth a dashboard: the best concept detectors, the steerable ones, the text readers.</summary>
    static IEnumerable<int> DashboardFeatures(FeatureStudyResult study, SteerabilityResult steering, TypographicResult typographic, int count)
    {
        var detectors = study.Features.Where(f => f.BestConcept is not null).OrderByDescending(f => f.BestAuroc).Select(f => f.Index);
        var steerable = steering.Features.Where(f => f.Steerable).OrderByDescending(f => f.Delta).Select(f => f.Feature);
        return typographic.ChosenFeatures.Take(4).Concat(steerable.Take(count / 4)).Concat(detectors).Distinct().Take(Math.Max(0, count));
    }

    static void Record(AnalysisResult result, FeatureStudyResult study, SteerabilityResult steering, TypographicResult typographic,
        IReadOnlyDictionary<int, Dictionary<string, byte[]>> featurePictures, string hook, TokenSelection tokens)
    {
        foreach (var (name, value) in study.Figures) result.Figure(name, value);
        result.Figure("steerable_share", steering.SteerableShare).Figure("steerable_share_random", steering.RandomShare)
            .Figure("steerable_ratio_to_random", steering.ShareRatio).Figure("steering_tested_features", steering.Features.Count)
            .Figure("steerable_ratio_low", steering.ShareRatioInterval.Low).Figure("steerable_ratio_high", steering.ShareRatioInterval.High)
            .Figure("steering_random_directions", steering.RandomControl.Count);
        foreach (var c in steering.Inserted)
        {
            var a = c.Attribute.ToString().ToLowerInvariant();
            result.Figure($"zero_shot_{a}", c.Unhooked).Figure($"zero_shot_{a}_sae_inserted", c.ReconstructionOnly);
        }
        var t = typographic.Overall;
        result.Figure("typographic_clean_accuracy", t.Clean).Figure("typographic_attacked_accuracy", t.Attacked).Figure("typographic_attack_drop", t.AttackDrop)
            .Figure("typographic_recovered", typographic.Recovered ?? double.NaN).Figure("typographic_recovered_random", typographic.RandomRecovered ?? double.NaN)
            .Figure("typographic_clean_cost", t.CleanCost).Figure("typographic_clean_cost_random", t.RandomCleanCost)
            .Figure("typographic_follows_word", t.FollowsWord).Figure("typographic_true_word_accuracy", t.TrueWord).Figure("typographic_reading_drop", t.ReadingDrop);

        result.Details["notes"] = new JsonObject
        {
            ["hook"] = hook,
            ["tokens"] = tokens.Name(),
            ["steering"] = string.Create(CultureInfo.InvariantCulture,
                $"steerable: the probability of the value the feature detects (AUROC >= {steering.Config.MinDetectionAuroc:0.00}, naming by {steering.Config.Naming.ToString().ToLowerInvariant()}) rises by {steering.Config.DeltaThreshold:0.00} and the prediction flips to it on {steering.Config.FlipThreshold:P0}; clamp {steering.Config.ClampMultiple}x the feature's p{steering.Config.ClampQuantile * 100:0} activation on {TokensPhrase(tokens)}; control: random directions of equal norm toward the same values"),
            ["typographic"] = typographic.AttackMaterial
                ? $"suppressed features {string.Join(", ", typographic.ChosenFeatures)} ({(typographic.Config.Selection == TextFeatureSelection.Effect
                    ? $"of the {typographic.Config.EffectCandidates} best word detectors, those whose zeroing alone helped most on calibration scenes"
                    : "the best word detectors")}); evaluated on held-out scenes; control: as many random live features"
                : "the attack barely changes this model's answers (it does not read the words), so recovery says little",
        };

        var steeringByFeature = steering.Features.ToDictionary(f => f.Feature);
        var textReaders = typographic.ChosenFeatures.ToHashSet();
        var layer = LayerOf(hook);
        foreach (var f in study.Features)
        {
            var o = new JsonObject
            {
                ["hook"] = hook,
                ["density"] = ResultJson.Number(f.Density),
                ["image_density"] = ResultJson.Number(f.ImageDensity),
                ["mean_activation"] = ResultJson.Number(f.MeanActivation),
                ["max_activation"] = ResultJson.Number(f.MaxActivation),
                ["text_reading"] = textReaders.Contains(f.Index),
            };
            if (layer is { } l) o["layer"] = l;
            if (f.BestConcept is { } concept)
            {
                o["ground_truth"] = new JsonObject { ["concept"] = concept, ["auroc"] = ResultJson.Number(f.BestAuroc) };
                if (f.BestAuroc >= study.Recovery.Threshold && double.IsFinite(f.BestAuroc)) result.Labels.Add(new FeatureLabel(f.Index, concept, f.BestAuroc, FeatureLabel.GroundTruth));
            }
            if (f.Labels.Count > 0)
            {
                o["free_labels"] = new JsonArray(f.Labels.Select(s => (JsonNode)new JsonObject { ["label"] = ConceptName(s.Label), ["score"] = ResultJson.Number(s.Score) }).ToArray());
                foreach (var s in f.Labels.Where(s => double.IsFinite(s.Score)).DistinctBy(s => ConceptName(s.Label)))
                    result.Labels.Add(new FeatureLabel(f.Index, ConceptName(s.Label), s.Score, FeatureLabel.FreeLabel));
            }
            if (steeringByFeature.TryGetValue(f.Index, out var trial))
            {
                var target = $"{trial.Target.Attribute.ToString().ToLowerInvariant()}={trial.Target.Label}";
                o["steering"] = new JsonObject
                {
                    ["target"] = target, ["delta_prob"] = ResultJson.Number(trial.Delta), ["flip_share"] = ResultJson.Number(trial.FlipShare), ["steerable"] = trial.Steerable,
                };
                if (trial.Steerable && double.IsFinite(trial.Delta)) result.Labels.Add(new FeatureLabel(f.Index, target, trial.Delta, FeatureLabel.Steering));
            }
            result.Features.Add(new FeatureRecord(f.Index, o, featurePictures.TryGetValue(f.Index, out var p) ? p : new Dictionary<string, byte[]>()));
        }
    }

    static string TokensPhrase(TokenSelection tokens) => tokens switch
    {
        TokenSelection.Patch => "every patch token",
        TokenSelection.Cls => "the class token",
        _ => "every token",
    };

    /// <summary>"a photo of a red object" becomes "colour=red" when it is a standard ShapesWorld prompt.</summary>
    static string ConceptName(string label) =>
        ConceptSet.Standard.FirstOrDefault(c => string.Equals(c.Prompt, label, StringComparison.OrdinalIgnoreCase))?.Name ?? label;

    /// <summary>The block index of a hook name such as vision.blocks.3.hook_resid_post.</summary>
    public static int? LayerOf(string hook)
    {
        var parts = hook.Split('.');
        return parts.Length > 2 && parts[1] == "blocks" && int.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var l) ? l : null;
    }
}
