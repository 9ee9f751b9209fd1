using System.Text.Json;
using System.Text.Json.Nodes;
using MMInterp.Grains.Contracts.Experiments;
using MMInterp.Grains.Registry;
using MMInterp.Kernels.Artefacts;
using MMInterp.Kernels.Interp.Features;
using MMInterp.Kernels.Interp.Steering;
using MMInterp.Kernels.Interp.Typographic;
using MMInterp.Kernels.Plots;

namespace MMInterp.Silo.Work.Analysis;

/// <summary>
/// The CLIP SAE study (issue 6): feature statistics against ShapesWorld truth, free labels, steerability with its
/// random-direction and SAE-inserted controls, and the typographic attack defence with its random-feature control.
/// Pictures go to the artefact store; the outcome carries their sha256s for the registry and the web UI.
/// Options: images, dashboards, steer_features, steer_images, typographic_images, top_k_text,
/// typographic_calibration_images, typographic_candidates (word detectors whose zeroing is tried).
/// </summary>
public sealed class ClipStudyAnalysis(AnalysisInputs inputs, ArtefactStore store)
{
    public const string Kind = "clip-study";

    public async Task<AnalysisOutcome> RunAsync(AnalysisSpec spec, Func<int, int, string, Task> progress, CancellationToken ct)
    {
        const int stages = 5;
        var (dictionary, sae) = await inputs.DictionaryAsync(spec, ct);
        using var _sae = sae;
        var clip = await inputs.ClipAsync(spec.ModelId, ct);
        using var model = clip.Model;
        var tokenizer = clip.Tokenizer!;
        var hook = dictionary.HookPoint;
        using var pictures = new AnalysisPictures(store, "mminterp-study-");
        var work = pictures.Directory;

        await progress(0, stages, "features: activations, ground truth, free labels");
        var studyConfig = FeatureStudyConfig.Default with { Images = spec.Option("images", FeatureStudyConfig.Default.Images) };
        var study = await Task.Run(() => ClipFeatureStudy.Run(model, tokenizer, sae, hook, studyConfig), ct);

        await progress(1, stages, "steering: clamp features, random-direction control");
        var steerConfig = SteerabilityConfig.Default with
        {
            // Every live feature plus as many random directions takes tens of minutes on a CPU: a sample by default.
            MaxFeatures = spec.Option("steer_features", 48),
            EvalImages = spec.Option("steer_images", SteerabilityConfig.Default.EvalImages),
        };
        var steering = await Task.Run(() => Steerability.Run(model, tokenizer, sae, hook, steerConfig, cancel: ct), ct);

        await progress(2, stages, "typographic attack and defence");
        var typoConfig = TypographicConfig.Default with
        {
            EvalImages = spec.Option("typographic_images", TypographicConfig.Default.EvalImages),
            TopK = spec.Option("top_k_text", TypographicConfig.Default.TopK),
            CalibrationImages = spec.Option("typographic_calibration_images", TypographicConfig.Default.CalibrationImages),
            EffectCandidates = spec.Option("typographic_candidates", TypographicConfig.Default.EffectCandidates),
        };
        var typographic = await Task.Run(() => TypographicDefence.Run(model, tokenizer, sae, hook, typoConfig, cancel: ct), ct);

        await progress(3, stages, "pictures");
        var layerPlot = Path.Combine(work, "concept_recovery.png");
        ClipFeatureStudy.WriteLayerPlot([study], layerPlot);
        await pictures.AddAsync(layerPlot, ct);
        var steeringPlot = Path.Combine(work, "steering.png");
        SteeringPlotPng.Write(steering.Features.OrderByDescending(f => f.Delta).Take(12).ToList(), steeringPlot);
        await pictures.AddAsync(steeringPlot, ct);
        var typoPlot = Path.Combine(work, "typographic.png");
        TypographicPlotPng.Write(typographic, typoPlot);
        await pictures.AddAsync(typoPlot, ct);

        var featureImages = new Dictionary<int, JsonObject>();
        var steeringByFeature = steering.Features.ToDictionary(f => f.Feature);
        foreach (var f in DashboardFeatures(study, steering, typographic, spec.Option("dashboards", 32)))
        {
            ct.ThrowIfCancellationRequested();
            var (top, hist) = ClipFeatureStudy.RenderFeature(model, sae, study, f, work);
            var dashboard = new JsonObject { ["top_examples"] = await pictures.StoreAsync(top, ct), ["histogram"] = await pictures.StoreAsync(hist, ct) };
            if (steeringByFeature.TryGetValue(f, out var trial))
            {
                var path = Path.Combine(work, $"feature_{f}_steering.png");
                SteeringPlotPng.Write([trial], path, maxPanels: 1);
                dashboard["steering"] = await pictures.StoreAsync(path, ct);
            }
            featureImages[f] = dashboard;
        }

        await progress(4, stages, "recording");
        var outcome = ClipStudyRecords.Build(study, steering, typographic, featureImages, pictures.Images, hook);
        await progress(stages, stages, "done");
        return outcome;
    }

    /// <summary>Features worth a dashboard: the best concept detectors, the steerable ones, the text readers.</summary>
    static IEnumerable<int> DashboardFeatures(FeatureStudyResult study, SteerabilityResult steering, TypographicResult typographic, int count)
    {
        var detectors = study.Features.Where(f => f.BestConcept is not null).OrderByDescending(f => f.BestAuroc).Select(f => f.Index);
        var steerable = steering.Features.Where(f => f.Steerable).OrderByDescending(f => f.Delta).Select(f => f.Feature);
        return typographic.ChosenFeatures.Take(4).Concat(steerable.Take(count / 4)).Concat(detectors).Distinct().Take(Math.Max(0, count));
    }
}
