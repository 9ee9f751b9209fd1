using System.Text.Json.Nodes;
using MMInterp.Grains.Contracts.Experiments;
using MMInterp.Kernels.Artefacts;
using MMInterp.Kernels.Interp.Vlm;
using MMInterp.Kernels.Plots;

namespace MMInterp.Silo.Work.Analysis;

/// <summary>
/// Steering a VLM through its vision encoder (issue 7) with a registered dictionary on one of the VLM's vision hooks
/// (extracted and trained through the grains like any other): per concept, clamp the feature that detects it and
/// ask the question; success against an equal-norm random direction and the unsteered answers. Options: attribute
/// (colour), images_per_concept (32), selection_images (512), clamp_multiple (3), seed (0).
/// </summary>
public sealed class VlmSteerAnalysis(AnalysisInputs inputs, ArtefactStore store)
{
    public const string Kind = "vlm-steer";

    public async Task<AnalysisOutcome> RunAsync(AnalysisSpec spec, Func<int, int, string, Task> progress, CancellationToken ct)
    {
        var (dictionary, sae) = await inputs.DictionaryAsync(spec, ct);
        using var _sae = sae;
        var config = (VlmSteeringConfig.Default with
        {
            Hook = dictionary.HookPoint,
            Attribute = spec.Option("attribute", VlmSteeringConfig.Default.Attribute),
            ImagesPerConcept = spec.Option("images_per_concept", VlmSteeringConfig.Default.ImagesPerConcept),
            SelectionImages = spec.Option("selection_images", VlmSteeringConfig.Default.SelectionImages),
            ClampMultiple = spec.Option("clamp_multiple", VlmSteeringConfig.Default.ClampMultiple),
            Seed = spec.Option("seed", VlmSteeringConfig.Default.Seed),
        }).Validate();
        var loaded = await inputs.VlmAsync(spec.ModelId, ct);
        using var model = loaded.Model;
        using var pictures = new AnalysisPictures(store, "mminterp-vlm-steer-");

        await progress(0, 2, $"steering {config.Attribute} through {config.Hook}");
        var result = await Task.Run(() => VlmSteering.Run(model, loaded.Vocabulary, sae, config, cancel: ct), ct);
        var png = Path.Combine(pictures.Directory, "vlm_steering.png");
        VlmSteeringPng.Write(result, png);
        await pictures.AddAsync(png, ct);

        await progress(1, 2, "recording");
        var results = new JsonObject
        {
            ["figures"] = new JsonObject
            {
                ["vlm_steering_success"] = ResultJson.Number(result.Success),
                ["vlm_steering_random_control"] = ResultJson.Number(result.RandomControl),
                ["vlm_steering_unsteered"] = ResultJson.Number(result.Baseline),
                ["vlm_clean_accuracy"] = ResultJson.Number(result.CleanAccuracy),
            },
            ["images"] = pictures.Images.DeepClone(),
            ["hook"] = config.Hook,
            ["attribute"] = config.Attribute,
            ["trials"] = result.Trials,
            ["concepts"] = ResultJson.Node(result.Concepts),
        };
        await progress(2, 2, "done");
        return AnalysisOutcome.ResultsOnly(results.ToJsonString());
    }
}
