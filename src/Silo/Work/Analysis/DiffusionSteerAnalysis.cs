using System.Globalization;
using System.Text.Json.Nodes;
using MMInterp.Grains.Contracts.Experiments;
using MMInterp.Grains.Registry;
using MMInterp.Kernels.Artefacts;
using MMInterp.Kernels.Extraction;
using MMInterp.Kernels.Interp.Diffusion;
using MMInterp.Kernels.Sae;

namespace MMInterp.Silo.Work.Analysis;

/// <summary>
/// Feature steering during diffusion sampling (issue 8) with registered timestep SAEs: one dictionary per noise level,
/// each trained through the grains on an extraction key of the same hook and caption conditioning
/// ("denoiser.blocks.3.hook_resid_post@t=0.900" at every level, or "...@t=0.900@c=caption" at every level). Mixed
/// conditionings are refused: one level's SAE would then differ from the next in what its rows saw, not only when, and
/// the figure would belong to no one extraction recipe. Per colour the feature that best detects it is added during
/// sampling; success against an equal-norm random direction and the unsteered run, per step window. Options: dictionaries (ids, required unless the spec names one),
/// prompts_per_colour (16), selection_images (256), strength (4), sample_steps (0: the model's own), pictured (3), seed.
/// </summary>
public sealed class DiffusionSteerAnalysis(AnalysisInputs inputs, ArtefactStore store)
{
    public const string Kind = "diffusion-steer";

    static readonly DiffusionSteeringConfig Defaults = new();

    public async Task<AnalysisOutcome> RunAsync(AnalysisSpec spec, Func<int, int, string, Task> progress, CancellationToken ct)
    {
        var prompts = spec.Option("prompts_per_colour", Defaults.PromptsPerColour);
        var config = (Defaults with
        {
            PromptsPerColour = prompts,
            SelectionImages = spec.Option("selection_images", Defaults.SelectionImages),
            Strength = spec.Option("strength", Defaults.Strength),
            SampleSteps = spec.Option("sample_steps", Defaults.SampleSteps),
            Seed = spec.Option("seed", Defaults.Seed),
            Pictured = spec.Option("pictured", Math.Min(Defaults.Pictured, prompts)),
        }).Validate();
        var ids = spec.Option<string[]?>("dictionaries", null) ?? (spec.DictionaryId is { } one ? new[] { one } : null)
                  ?? throw new ArgumentException("analysis diffusion-steer needs option 'dictionaries': one registered SAE per noise level of one hook");
        if (ids.Length == 0 || ids.Distinct().Count() != ids.Length) throw new ArgumentException("analysis option 'dictionaries' must list distinct dictionary ids");

        var levels = new List<(TimestepKey Key, string Id, DictionaryRecord Record)>();
        foreach (var id in ids)
        {
            var record = await inputs.DictionaryRecordAsync(id, spec.ModelId, ct);
            TimestepKey key;
            try { key = TimestepKey.Parse(record.HookPoint); }
            catch (FormatException e) { throw new ArgumentException($"dictionary '{id}' was not trained on a timestep key, which steering needs: {e.Message}"); }
            levels.Add((key, id, record));
        }
        var hook = levels[0].Key.Hook;
        if (levels.FirstOrDefault(l => l.Key.Hook != hook) is { Id: not null } other)
            throw new ArgumentException($"dictionaries must read one hook: '{levels[0].Id}' reads {hook}, '{other.Id}' reads {other.Key.Hook}");
        var conditioning = levels[0].Key.Conditioning;
        if (levels.FirstOrDefault(l => l.Key.Conditioning != conditioning) is { Id: not null } mixed)
            throw new ArgumentException($"dictionaries must share one caption conditioning: '{levels[0].Id}' was trained on {levels[0].Key.Name} "
                                        + $"(conditioned on {CaptionConditionings.Describe(conditioning)}), '{mixed.Id}' on {mixed.Key.Name} "
                                        + $"(conditioned on {CaptionConditionings.Describe(mixed.Key.Conditioning)})");
        if (levels.Select(l => l.Key.T).Distinct().Count() != levels.Count) throw new ArgumentException("two dictionaries are for the same noise level");

        var saes = new List<ISparseAutoencoder>();
        try
        {
            foreach (var level in levels) saes.Add(await inputs.SaeAsync(level.Record, ct));
        }
        catch
        {
            foreach (var s in saes) s.Dispose();
            throw;
        }
        using var set = new TimestepSaeSet(hook, levels.Select(l => l.Key.T).ToList(), saes);
        using var bundle = await inputs.DiffusionAsync(spec.ModelId, ct);
        using var pictures = new AnalysisPictures(store, "mminterp-diffusion-steer-");

        // Sampling every condition takes minutes on a CPU: report each step of it (a grain call, safe from this thread).
        await progress(0, 100, $"steering colour at {hook} with {levels.Count} timestep SAEs trained on {CaptionConditionings.Describe(conditioning)}");
        var result = await Task.Run(() => DiffusionSteering.Run(bundle, set, config,
            (share, note) => _ = progress((int)Math.Round(98 * share), 100, note)), ct);
        await pictures.AddAllAsync(DiffusionFigures.WriteSteering(pictures.Directory, result, config.Pictured), ct);

        await progress(99, 100, "recording");
        var headline = result.Headline;
        var figures = new JsonObject
        {
            ["diffusion_steering_success"] = ResultJson.Number(headline.Feature.Success),
            ["diffusion_steering_random_control"] = ResultJson.Number(headline.Random.Success),
            ["diffusion_steering_unsteered"] = ResultJson.Number(result.Unsteered.Success),
        };
        foreach (var w in result.Windows)
        {
            figures[$"success_{w.Window.Name}"] = ResultJson.Number(w.Feature.Success);
            figures[$"random_{w.Window.Name}"] = ResultJson.Number(w.Random.Success);
        }
        var results = new JsonObject
        {
            ["figures"] = figures,
            ["images"] = pictures.Images.DeepClone(),
            ["hook"] = hook,
            ["conditioning"] = CaptionConditionings.Word(conditioning),
            ["dictionaries"] = new JsonArray(levels.Select(l => (JsonNode)JsonValue.Create(l.Id)!).ToArray()),
            ["levels"] = ResultJson.Node(result.Levels),
            ["images_per_condition"] = result.Images,
            ["strength"] = ResultJson.Number(result.Strength),
            ["features"] = ResultJson.Node(result.Features),
            ["windows"] = ResultJson.Node(result.Windows.Select(w => new
            {
                window = w.Window.Name, from = w.Window.From, to = w.Window.To, steps = w.StepsSteered,
                success = w.Feature.Success, random = w.Random.Success,
                target_probability = w.Feature.TargetProbability, random_target_probability = w.Random.TargetProbability,
                prompt_kept = w.Feature.PromptKept,
            })),
        };
        await progress(100, 100, string.Create(CultureInfo.InvariantCulture, $"done: success {headline.Feature.Success:0.000}"));
        return AnalysisOutcome.ResultsOnly(results.ToJsonString());
    }
}
