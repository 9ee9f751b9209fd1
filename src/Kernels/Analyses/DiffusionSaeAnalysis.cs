using System.ComponentModel;
using MMInterp.Kernels.Interp.Diffusion;
using MMInterp.Kernels.Sae;

namespace MMInterp.Kernels.Analyses;

/// <summary>The options of <see cref="DiffusionSaeAnalysis"/>.</summary>
public sealed record DiffusionSaeOptions
{
    [Description("denoiser hook point (default: the last block's hook_resid_post)")] public string? Hook { get; init; }
    [Description("noise levels in [0, 1], one SAE each")] public double[] Timesteps { get; init; } = [.. new TimestepSaeConfig().Timesteps];
    [Description("SAE kind: topk, batchtopk, relu, jumprelu"), OptionAlias("kind")] public string SaeKind { get; init; } = "topk";
    [Description("dictionary size / hook width")] public int Expansion { get; init; } = new TimestepSaeConfig().Expansion;
    [Description("active latents per row (TopK)")] public int K { get; init; } = new TimestepSaeConfig().K;
    [Description("training steps per SAE")] public int Steps { get; init; } = new TimestepSaeConfig().Steps;
    [Description("training images per level (half captioned, half null caption)")] public int TrainImages { get; init; } = new TimestepSaeConfig().TrainImages;
    [Description("held-out images per caption policy")] public int TestImages { get; init; } = new TimestepSaeConfig().TestImages;
    [Description("your prompts for the captioned half, one per line (in turn) instead of the images' captions"), LinesFromFile("prompt-file")]
    public string[]? Prompts { get; init; }
    [Description("sha256 of stored timestep-keyed activations to train on instead of fresh ones: an activation set's index, or an older `diffusion extract` directory")] public string? Activations { get; init; }
}

/// <summary>
/// Timestep-resolved SAEs: one SAE per noise level at a denoiser hook, with per-level reconstruction and how early
/// single features decode each attribute. The SAEs are kept as the result's file <c>saes</c> (a `diffusion steer` input).
/// </summary>
public sealed class DiffusionSaeAnalysis() : Analysis<DiffusionSaeOptions>(Kind)
{
    public const string Kind = "diffusion-sae";

    public override string Description => "train one SAE per noise level at a denoiser hook; FVU, L0 and feature decodability per level";

    public override IReadOnlyList<FigureSpec> Figures { get; } =
    [
        Figure("diffusion_timestep_sae_explained_variance", "mean held-out explained variance of the per-level SAEs", "diffusion_timestep_sae_dead_share"),
    ];

    protected override async Task<AnalysisResult> RunAsync(DiffusionSaeOptions o, IAnalysisInputs inputs, Action<double, string> progress, CancellationToken ct)
    {
        using var bundle = await inputs.DiffusionAsync(ct);
        var config = new TimestepSaeConfig
        {
            Hook = o.Hook, Timesteps = o.Timesteps,
            Kind = Enum.TryParse<SaeKind>(o.SaeKind, ignoreCase: true, out var kind) ? kind : throw new ArgumentException($"{Kind}: option 'sae_kind' '{o.SaeKind}' is not one of topk, batchtopk, relu, jumprelu"),
            Expansion = o.Expansion, K = o.K, Steps = o.Steps, TrainImages = o.TrainImages, TestImages = o.TestImages, Prompts = o.Prompts,
        }.Validate(bundle);
        var dir = Path.Combine(inputs.WorkDirectory, "saes");
        TimestepSaeResult trained;
        if (o.Activations is { } sha)
        {
            var extraction = await inputs.ArtefactAsync(sha, directory: true, ct);
            trained = new TimestepSaeResult(config.Hook!, 0, 0, TimestepSaes.FitExtraction(extraction, config, dir, progress: progress), null, dir);
        }
        else trained = TimestepSaes.Train(bundle, config, dir, progress);
        var result = new AnalysisResult();
        result.Files["saes"] = dir;
        result.Figure("diffusion_timestep_sae_explained_variance", trained.Levels.Average(l => l.ExplainedVariance))
            .Figure("diffusion_timestep_sae_dead_share", trained.Levels.Average(l => l.DeadShare));
        result.Details["hook"] = trained.Hook;
        result.Details["sae_kind"] = config.Kind.ToString().ToLowerInvariant();
        result.Details["expansion"] = config.Expansion;
        result.Details["k"] = config.K;
        result.Details["steps"] = config.Steps;
        result.Details["levels"] = ResultJson.Node(trained.Levels.Select(l => new
        {
            t = l.T, fvu = l.Fvu, explained_variance = l.ExplainedVariance, error_over_zero = l.ErrorOverZero, l0 = l.L0, dead_share = l.DeadShare,
        }));
        if (trained.Decodability is { } d)
            result.Details["decodability"] = ResultJson.Node(new
            {
                timesteps = d.Timesteps, threshold = d.Threshold,
                auroc = d.Auroc.ToDictionary(kv => kv.Key.ToString().ToLowerInvariant(), kv => kv.Value),
                earliest = d.Earliest.ToDictionary(kv => kv.Key.ToString().ToLowerInvariant(), kv => kv.Value),
            });
        return result.ControlsOf(Figures);
    }
}
