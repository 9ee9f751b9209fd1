using System.ComponentModel;
using MMInterp.Kernels.Interp.Diffusion;
using MMInterp.Kernels.Models.Diffusion;
using MMInterp.Kernels.Models.ZooUNet;

namespace MMInterp.Kernels.Analyses;

/// <summary>The options of <see cref="DiffusionStudyAnalysis"/>.</summary>
public sealed record DiffusionStudyOptions
{
    [Description("data seeds for the temporal probes (spread of the earliest levels)")] public int Seeds { get; init; } = 1;
    [Description("probe training images per seed")] public int TrainImages { get; init; } = new TemporalConfig().TrainImages;
    [Description("probe test images per seed")] public int TestImages { get; init; } = new TemporalConfig().TestImages;
    [Description("noise levels probed (default: the temporal schedule)")] public double[]? Timesteps { get; init; }
    [Description("prompts whose generation trajectory is probed")] public int TrajectoryPrompts { get; init; } = new TemporalConfig().TrajectoryPrompts;
    [Description("your prompts for the generation trajectory and the lens, one per line (each step judged against the final image)"), LinesFromFile("prompt-file")]
    public string[]? Prompts { get; init; }
    [Description("held-out prompts the steering lens scores")] public int LensPrompts { get; init; } = new LensConfig().Prompts;
    [Description("prompts drawn as lens grids")] public int Pictured { get; init; } = 2;
    [Description("generated images per ablation")] public int AblationImages { get; init; } = new AblationConfig().Images;
    [Description("images the denoising loss is measured on per ablation")] public int LossImages { get; init; } = new AblationConfig().LossImages;
    [Description("ablate heads too (false: blocks only)")] public bool Heads { get; init; } = true;
    [Description("training images of the head-role probes")] public int RoleImages { get; init; } = new HeadRoleConfig().TrainImages;
    [Description("parts run: temporal, lens, heads (default: all)")] public string[] Parts { get; init; } = [Temporal, Lens, HeadsPart];

    public const string Temporal = "temporal", Lens = "lens", HeadsPart = "heads";
}

/// <summary>
/// The diffusion study (issue 8): when each attribute becomes decodable along the noise schedule (with the pixel
/// control), the steering lens with cross-attention maps, and head roles with block and head ablations. `diffusion
/// temporal|lens|heads` run one part each; `analyze diffusion` runs all.
/// </summary>
public sealed class DiffusionStudyAnalysis() : Analysis<DiffusionStudyOptions>(Kind)
{
    public const string Kind = "diffusion-study";

    public override string Description => "diffusion study: temporal probes, steering lens, head roles and ablations";

    public override IReadOnlyList<FigureSpec> Figures { get; } =
    [
        Figure("temporal_colour_before_fill", "1 when colour becomes decodable at a noisier level than fill (probes on denoiser activations)"),
        Figure("ablation_rank_agreement", "Spearman agreement of the ablations' loss increase and accuracy drop", "baseline_loss"),
        Figure("critical_block_loss_increase_pct", "denoising-loss increase when the most critical block is ablated", "baseline_loss"),
    ];

    protected override async Task<AnalysisResult> RunAsync(DiffusionStudyOptions o, IAnalysisInputs inputs, Action<double, string> progress, CancellationToken ct)
    {
        string[] parts = [DiffusionStudyOptions.Temporal, DiffusionStudyOptions.Lens, DiffusionStudyOptions.HeadsPart];
        if (o.Parts.Length == 0 || o.Parts.Except(parts).Any())
            throw new ArgumentException($"{Kind}: option 'parts' must list some of {string.Join(", ", parts)}, got [{string.Join(", ", o.Parts)}]");
        if (o.Seeds < 1) throw new ArgumentException($"{Kind}: option 'seeds' must be at least 1, got {o.Seeds}");
        var temporal = new TemporalConfig
        {
            Seeds = Enumerable.Range(0, o.Seeds).Select(i => 3_000_017L + 1000L * i).ToList(),
            TrainImages = o.TrainImages, TestImages = o.TestImages,
            Timesteps = o.Timesteps ?? new TemporalConfig().Timesteps, TrajectoryPrompts = o.TrajectoryPrompts, Prompts = o.Prompts,
        }.Validate();
        var ablation = new AblationConfig { Images = o.AblationImages, LossImages = o.LossImages, Heads = o.Heads }.Validate();
        var roleConfig = new HeadRoleConfig { TrainImages = o.RoleImages, TestImages = Math.Max(16, o.RoleImages / 2) }.Validate();
        using var bundle = await inputs.DiffusionAsync(ct);
        var lensConfig = new LensConfig { Prompts = o.LensPrompts, Pictured = o.Prompts is { } mine ? Math.Min(o.Pictured, mine.Length) : o.Pictured, UserPrompts = o.Prompts }.Validate(bundle.Sampler(0).Steps);
        var dir = inputs.WorkDirectory;
        var result = new AnalysisResult();
        double stages = o.Parts.Length, stage = 0;

        if (o.Parts.Contains(DiffusionStudyOptions.Temporal))
        {
            var at = stage++;
            progress(at / stages, "temporal: probes along the noise schedule");
            var time = TemporalAnalysis.Run(bundle, temporal, (p, note) => progress((at + p) / stages, note));
            result.AddPictures(DiffusionFigures.WriteTemporal(dir, time));
            result.Figures["temporal_colour_before_fill"] = (double)time.ColourBeforeFill();
            foreach (var curve in time.Curves) result.Figure($"earliest_t_{curve.Attribute.ToString().ToLowerInvariant()}", curve.Earliest);
            result.Details["temporal"] = ResultJson.Node(new { time.Timesteps, time.Hooks, time.Curves, time.Trajectory });
            if (time.Trajectory is { Reference: TrajectoryCurve.FinalImage } user)
                foreach (var (attribute, agreement) in user.Accuracy)
                    result.Figure($"settled_t_{attribute.ToString().ToLowerInvariant()}", TemporalAnalysis.Settled(user.T, agreement));
        }
        if (o.Parts.Contains(DiffusionStudyOptions.Lens))
        {
            progress(stage++ / stages, "steering lens and cross-attention");
            ct.ThrowIfCancellationRequested();
            // A DiT's lens decodes each block's residual stream through its final layer; a U-Net's levels share no
            // stream, so its lens decodes each level through fitted translators (UNetLens).
            var lens = bundle switch
            {
                DiffusionBundle dit => SteeringLens.Run(dit, lensConfig),
                IUNetDenoiser unet => UNetLens.Run(unet, lensConfig),
                _ => null,
            };
            if (lens is not null)
            {
                result.AddPictures(DiffusionFigures.WriteLens(dir, lens));
                result.Details["lens"] = ResultJson.Node(new { lens.Prompts, lens.T, lens.LayerNames, lens.Accuracy, lens.Reference, lens.CrossAttentionStep, translator_r2 = lens.TranslatorR2 });
            }
            else result.Details["lens"] = ResultJson.Node(new { skipped = $"no steering lens for a {bundle.GetType().Name}" });
        }
        if (o.Parts.Contains(DiffusionStudyOptions.HeadsPart))
        {
            var at = stage++;
            progress(at / stages, "head roles and ablations");
            ct.ThrowIfCancellationRequested();
            var roles = o.Heads ? HeadRoles.Classify(bundle, roleConfig) : [];
            var ablations = DiffusionAblation.Run(bundle, ablation, progress: (p, note) => progress((at + p) / stages, note));
            result.Picture(DiffusionFigures.WriteAblations(dir, ablations));
            result.Figure("ablation_rank_agreement", ablations.RankAgreement).Figure("baseline_loss", ablations.Baseline.Loss);
            foreach (var (attribute, accuracy) in ablations.Baseline.Accuracy)
                result.Figure($"baseline_{attribute.ToString().ToLowerInvariant()}_accuracy", accuracy);
            var worstBlock = ablations.Effects.Where(e => e.Kind == "block" && e.Block >= 0).OrderByDescending(e => e.RelativeLossIncrease).FirstOrDefault();
            if (worstBlock is not null) result.Figure("critical_block_loss_increase_pct", 100 * worstBlock.RelativeLossIncrease);
            result.Details["ablations"] = ResultJson.Node(ablations.Effects.Select(e => new
            {
                e.Name, e.Kind, e.Block, e.Head, loss_increase_pct = 100 * e.RelativeLossIncrease, colour_drop = e.ColourDrop,
                position_drop = e.PositionDrop, shape_drop = e.ShapeDrop,
                role = roles.FirstOrDefault(r => r.Kind == e.Kind && r.Block == e.Block && r.Head == e.Head)?.Role.ToString().ToLowerInvariant(),
            }));
            result.Details["roles"] = ResultJson.Node(DiffusionFigures.ByRole(roles, ablations));
        }
        return result.ControlsOf(Figures);
    }
}
