using System.Text.Json.Nodes;
using MMInterp.Grains.Contracts.Experiments;
using MMInterp.Kernels.Artefacts;
using MMInterp.Kernels.Interp.Diffusion;

namespace MMInterp.Silo.Work.Analysis;

/// <summary>
/// The diffusion study (issue 8): when each attribute becomes decodable along the noise schedule (with the pixel
/// control), the steering lens with cross-attention maps, and head roles with block and head ablations. Options:
/// seeds (1), train_images (384), test_images (192), timesteps (the temporal default), trajectory_prompts (64),
/// lens_prompts (32), pictured (2), ablation_images (64), loss_images (128), heads (true), role_images (256).
/// </summary>
public sealed class DiffusionStudyAnalysis(AnalysisInputs inputs, ArtefactStore store)
{
    public const string Kind = "diffusion-study";

    static readonly TemporalConfig Defaults = new();
    static readonly AblationConfig AblationDefaults = new();

    public async Task<AnalysisOutcome> RunAsync(AnalysisSpec spec, Func<int, int, string, Task> progress, CancellationToken ct)
    {
        const int stages = 4;
        var seeds = spec.Option("seeds", 1);
        if (seeds < 1) throw new ArgumentException($"analysis option 'seeds' must be at least 1, got {seeds}");
        var temporal = new TemporalConfig
        {
            Seeds = Enumerable.Range(0, seeds).Select(i => 3_000_017L + 1000L * i).ToList(),
            TrainImages = spec.Option("train_images", Defaults.TrainImages),
            TestImages = spec.Option("test_images", Defaults.TestImages),
            Timesteps = spec.Option<double[]?>("timesteps", null) ?? Defaults.Timesteps,
            TrajectoryPrompts = spec.Option("trajectory_prompts", Defaults.TrajectoryPrompts),
        }.Validate();
        var heads = spec.Option("heads", true);
        var ablation = new AblationConfig
        {
            Images = spec.Option("ablation_images", AblationDefaults.Images),
            LossImages = spec.Option("loss_images", AblationDefaults.LossImages),
            Heads = heads,
        }.Validate();
        var roleImages = spec.Option("role_images", new HeadRoleConfig().TrainImages);
        var roleConfig = new HeadRoleConfig { TrainImages = roleImages, TestImages = Math.Max(16, roleImages / 2) }.Validate();
        using var bundle = await inputs.DiffusionAsync(spec.ModelId, ct);
        var lensConfig = new LensConfig { Prompts = spec.Option("lens_prompts", new LensConfig().Prompts), Pictured = spec.Option("pictured", 2) }
            .Validate(bundle.Config.SampleSteps);
        using var pictures = new AnalysisPictures(store, "mminterp-diffusion-study-");

        await progress(0, stages, "temporal: probes along the noise schedule");
        var time = await Task.Run(() => TemporalAnalysis.Run(bundle, temporal), ct);
        await pictures.AddAllAsync(DiffusionFigures.WriteTemporal(pictures.Directory, time), ct);

        await progress(1, stages, "steering lens and cross-attention");
        var lens = await Task.Run(() => SteeringLens.Run(bundle, lensConfig), ct);
        await pictures.AddAllAsync(DiffusionFigures.WriteLens(pictures.Directory, lens), ct);

        await progress(2, stages, "head roles and ablations");
        var roles = heads ? await Task.Run(() => HeadRoles.Classify(bundle, roleConfig), ct) : [];
        var ablations = await Task.Run(() => DiffusionAblation.Run(bundle, ablation), ct);
        await pictures.AddAsync(DiffusionFigures.WriteAblations(pictures.Directory, ablations), ct);

        await progress(3, stages, "recording");
        var figures = new JsonObject
        {
            ["temporal_colour_before_fill"] = (double)time.ColourBeforeFill(),
            ["ablation_rank_agreement"] = ResultJson.Number(ablations.RankAgreement),
            ["baseline_loss"] = ResultJson.Number(ablations.Baseline.Loss),
        };
        foreach (var curve in time.Curves)
            figures[$"earliest_t_{curve.Attribute.ToString().ToLowerInvariant()}"] = ResultJson.Number(curve.Earliest);
        foreach (var (attribute, accuracy) in ablations.Baseline.Accuracy) figures[$"baseline_{attribute.ToString().ToLowerInvariant()}_accuracy"] = ResultJson.Number(accuracy);
        var worstBlock = ablations.Effects.Where(e => e.Kind == "block" && e.Block >= 0).OrderByDescending(e => e.RelativeLossIncrease).FirstOrDefault();
        if (worstBlock is not null) figures["critical_block_loss_increase_pct"] = ResultJson.Number(100 * worstBlock.RelativeLossIncrease);
        var results = new JsonObject
        {
            ["figures"] = figures,
            ["images"] = pictures.Images.DeepClone(),
            ["temporal"] = ResultJson.Node(new { time.Timesteps, time.Hooks, time.Curves }),
            ["lens"] = ResultJson.Node(new { lens.Prompts, lens.T, lens.LayerNames, lens.CrossAttentionStep }),
            ["ablations"] = ResultJson.Node(ablations.Effects.Select(e => new
            {
                e.Name, e.Kind, e.Block, e.Head, loss_increase_pct = 100 * e.RelativeLossIncrease, colour_drop = e.ColourDrop,
                position_drop = e.PositionDrop, shape_drop = e.ShapeDrop,
                role = roles.FirstOrDefault(r => r.Kind == e.Kind && r.Block == e.Block && r.Head == e.Head)?.Role.ToString().ToLowerInvariant(),
            })),
            ["roles"] = ResultJson.Node(DiffusionFigures.ByRole(roles, ablations)),
        };
        await progress(stages, stages, "done");
        return AnalysisOutcome.ResultsOnly(results.ToJsonString());
    }
}
