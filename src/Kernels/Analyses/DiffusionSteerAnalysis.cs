using System.ComponentModel;
using System.Globalization;
using System.Text.Json.Nodes;
using MMInterp.Kernels.Extraction;
using MMInterp.Kernels.Interp.Diffusion;
using MMInterp.Kernels.Models.Diffusion;
using MMInterp.Kernels.Sae;

namespace MMInterp.Kernels.Analyses;

/// <summary>The options of <see cref="DiffusionSteerAnalysis"/>. The timestep SAEs are registered dictionaries (one per
/// noise level of one hook) or a stored `diffusion sae` directory (<see cref="SaeSet"/>).</summary>
public sealed record DiffusionSteerOptions
{
    [Description("registered dictionaries, one per noise level of one denoiser hook and one caption conditioning")] public string[]? Dictionaries { get; init; }
    [Description("sha256 of a stored timestep-SAE directory (`diffusion sae`), instead of dictionaries")] public string? SaeSet { get; init; }
    [Description("prompts per target colour (each names another colour)")] public int PromptsPerColour { get; init; } = new DiffusionSteeringConfig().PromptsPerColour;
    [Description("captioned images per level for choosing the features")] public int SelectionImages { get; init; } = new DiffusionSteeringConfig().SelectionImages;
    [Description("added value in units of the feature's mean peak on its colour")] public double Strength { get; init; } = new DiffusionSteeringConfig().Strength;
    [Description("sampling steps (0 = the model's own)")] public int SampleSteps { get; init; }
    [Description("seed of prompts, noise, selection images and random directions")] public long Seed { get; init; } = new DiffusionSteeringConfig().Seed;
    [Description("prompts drawn per condition (default: 3, at most prompts_per_colour)")] public int? Pictured { get; init; }
}

/// <summary>
/// Feature steering during diffusion sampling (issue 8): per colour the timestep-SAE feature that best detects it is
/// added while sampling prompts naming another colour; success against an equal-norm random direction and the
/// unsteered run, per step window. Registered dictionaries must read one hook under one caption conditioning: mixed
/// conditionings are refused, since one level's SAE would then differ from the next in what its rows saw, not only when.
/// </summary>
public sealed class DiffusionSteerAnalysis() : Analysis<DiffusionSteerOptions>(Kind)
{
    public const string Kind = "diffusion-steer";

    public override string Description => "steer colour during sampling with timestep-SAE features: success vs random-direction and unsteered controls, early vs late steps";

    public override IReadOnlyList<FigureSpec> Figures { get; } =
    [
        Figure("diffusion_steering_success", "share of samples whose generated colour turns to the steered colour (all steps)",
            "diffusion_steering_random_control", "diffusion_steering_unsteered"),
        new("diffusion_steering_unsteered", "the same rate without steering", [], ["diffusion_steering_unsteered_control"]),
    ];

    protected override async Task<AnalysisResult> RunAsync(DiffusionSteerOptions o, IAnalysisInputs inputs, Action<double, string> progress, CancellationToken ct)
    {
        var config = (new DiffusionSteeringConfig() with
        {
            PromptsPerColour = o.PromptsPerColour, SelectionImages = o.SelectionImages, Strength = o.Strength, SampleSteps = o.SampleSteps,
            Seed = o.Seed, Pictured = o.Pictured ?? Math.Min(new DiffusionSteeringConfig().Pictured, o.PromptsPerColour),
        }).Validate();
        var result = new AnalysisResult();
        using var set = await SaeSetAsync(o, inputs, result, ct);
        using var model = await inputs.DiffusionAsync(ct);
        progress(0, $"steering colour at {set.Hook} with {set.Timesteps.Count} timestep SAEs");
        var r = DiffusionSteering.Run(model, set, config, (share, note) => progress(0.98 * share, note));
        result.AddPictures(DiffusionFigures.WriteSteering(inputs.WorkDirectory, r, config.Pictured));
        result.Figure("diffusion_steering_success", r.Headline.Feature.Success)
            .Figure("diffusion_steering_random_control", r.Headline.Random.Success)
            .Figure("diffusion_steering_unsteered", r.Unsteered.Success);
        foreach (var w in r.Windows)
        {
            result.Figure($"success_{w.Window.Name}", w.Feature.Success);
            result.Figure($"random_{w.Window.Name}", w.Random.Success);
            result.Controls.Add(new FigureControls($"success_{w.Window.Name}", [$"random_{w.Window.Name}", "diffusion_steering_unsteered"],
                $"steering success when the feature is added in the {w.Window.Name} window"));
        }
        result.Details["hook"] = r.Hook;
        result.Details["levels"] = ResultJson.Node(r.Levels);
        result.Details["images_per_condition"] = r.Images;
        result.Details["strength"] = ResultJson.Number(r.Strength);
        result.Details["features"] = ResultJson.Node(r.Features);
        result.Details["unsteered"] = ResultJson.Node(r.Unsteered);
        result.Details["windows"] = ResultJson.Node(r.Windows.Select(w => new
        {
            window = w.Window.Name, from = w.Window.From, to = w.Window.To, steps = w.StepsSteered,
            success = w.Feature.Success, random = w.Random.Success,
            target_probability = w.Feature.TargetProbability, random_target_probability = w.Random.TargetProbability,
            prompt_kept = w.Feature.PromptKept, random_prompt_kept = w.Random.PromptKept, per_colour = w.Feature.PerColour,
        }));
        progress(1, string.Create(CultureInfo.InvariantCulture, $"done: success {r.Headline.Feature.Success:0.000}"));
        return result.ControlsOf(Figures);
    }

    /// <summary>The timestep SAEs: a stored `diffusion sae` directory, or registered dictionaries checked to read one
    /// hook under one conditioning at distinct levels.</summary>
    async Task<TimestepSaeSet> SaeSetAsync(DiffusionSteerOptions o, IAnalysisInputs inputs, AnalysisResult result, CancellationToken ct)
    {
        var ids = o.Dictionaries ?? (inputs.DictionaryId is { } one ? new[] { one } : null);
        if ((ids is null) == (o.SaeSet is null))
            throw new ArgumentException($"analysis {Kind} needs option 'dictionaries' (one registered SAE per noise level of one hook) or option 'sae_set', not both");
        if (o.SaeSet is { } sha)
        {
            result.Details["sae_set"] = sha;
            return TimestepSaeSet.Load(await inputs.ArtefactAsync(sha, directory: true, ct));
        }
        if (ids!.Length == 0 || ids.Distinct().Count() != ids.Length) throw new ArgumentException("analysis option 'dictionaries' must list distinct dictionary ids");
        var levels = new List<(TimestepKey Key, AnalysisDictionary Dictionary)>();
        try
        {
            foreach (var id in ids)
            {
                var dictionary = await inputs.DictionaryAsync(id, ct);
                levels.Add((default, dictionary));
                TimestepKey key;
                try { key = TimestepKey.Parse(dictionary.HookPoint); }
                catch (FormatException e) { throw new ArgumentException($"dictionary '{id}' was not trained on a timestep key, which steering needs: {e.Message}"); }
                levels[^1] = (key, dictionary);
            }
            var first = levels[0];
            if (levels.FirstOrDefault(l => l.Key.Hook != first.Key.Hook) is { Dictionary: not null } other)
                throw new ArgumentException($"dictionaries must read one hook: '{first.Dictionary.Id}' reads {first.Key.Hook}, '{other.Dictionary.Id}' reads {other.Key.Hook}");
            if (levels.FirstOrDefault(l => l.Key.Conditioning != first.Key.Conditioning) is { Dictionary: not null } mixed)
                throw new ArgumentException($"dictionaries must share one caption conditioning: '{first.Dictionary.Id}' was trained on {first.Key.Name} "
                                            + $"(conditioned on {CaptionConditionings.Describe(first.Key.Conditioning)}), '{mixed.Dictionary.Id}' on {mixed.Key.Name} "
                                            + $"(conditioned on {CaptionConditionings.Describe(mixed.Key.Conditioning)})");
            if (levels.Select(l => l.Key.T).Distinct().Count() != levels.Count) throw new ArgumentException("two dictionaries are for the same noise level");
            result.Details["conditioning"] = CaptionConditionings.Word(first.Key.Conditioning);
            result.Details["dictionaries"] = new JsonArray(levels.Select(l => (JsonNode)JsonValue.Create(l.Dictionary.Id)!).ToArray());
            return new TimestepSaeSet(first.Key.Hook, levels.Select(l => l.Key.T).ToList(), levels.Select(l => (ISparseAutoencoder)l.Dictionary.Sae).ToList());
        }
        catch
        {
            foreach (var l in levels) l.Dictionary.Sae.Dispose();
            throw;
        }
    }
}
