using System.CommandLine;
using System.Globalization;
using MMInterp.Client.Cli;
using MMInterp.Client.Platform;
using MMInterp.Grains.Contracts.Jobs;
using MMInterp.Grains.Contracts.ZooBuilds;
using MMInterp.Grains.Registry;
using MMInterp.Kernels.Analyses;
using MMInterp.Kernels.Extraction;
using MMInterp.Kernels.Models.Diffusion;
using MMInterp.Kernels.Zoo;

namespace MMInterp.Client.Commands;

/// <summary>`mminterp diffusion train|extract|temporal|heads|lens|sae|steer`: the tiny text-to-image model. train is a zoo build,
/// extract an extraction job, the analyses (temporal, lens, heads, sae, steer) experiments, all on the cluster; a --model
/// or --text-encoder directory is registered first.</summary>
public static class DiffusionCommand
{
    public static Command Create()
    {
        var command = new Command("diffusion", "tiny text-to-image diffusion: train, temporal probes, head roles/ablations, steering lens, timestep SAEs, feature steering");
        command.Subcommands.Add(Train());
        command.Subcommands.Add(Extract());
        command.Subcommands.Add(Temporal());
        command.Subcommands.Add(Lens());
        command.Subcommands.Add(Heads());
        command.Subcommands.Add(DiffusionSaeCommand.Create());
        command.Subcommands.Add(DiffusionSteerCommand.Create());
        return command;
    }

    /// <summary>An extraction job over the keys hooks x levels (`extract --hooks hook@t=LEVEL[@c=caption]`), spelled per level.</summary>
    static Command Extract()
    {
        var command = new Command("extract", "timestep-resolved activations: an extraction job with one key per (hook, noise level) on held-out single-object images (the same as `extract --hooks HOOK@t=LEVEL`)");
        var model = new Option<string>("--model") { Description = "registered diffusion model id or name, or a model directory (registered first)", Required = true };
        var hooks = new Option<string>("--hooks") { Description = "comma-separated denoiser hook points", DefaultValueFactory = _ => "denoiser.blocks.1.hook_resid_post" };
        var timesteps = new Option<string>("--timesteps") { Description = "comma-separated noise levels in [0, 1]", DefaultValueFactory = _ => "0.9,0.7,0.5,0.3,0.1" };
        var images = new Option<int>("--images") { Description = "held-out single-object images (the ShapesWorld test split)", DefaultValueFactory = _ => 256 };
        var captions = new Option<bool>("--captions") { Description = "condition on the true captions (default: the null caption)" };
        var promptFile = new Option<string?>("--prompt-file") { Description = "your prompts, one per line, as the text of the rows in turn (implies --captions)" };
        var shards = new Option<int>("--shards") { Description = "number of shards (spread over accelerator silos)", DefaultValueFactory = _ => 2 };
        var db = DatabaseOption.Create();
        foreach (var o in new Option[] { model, hooks, timesteps, images, captions, promptFile, shards, db }) command.Options.Add(o);
        CliAction.Set(command, async (parse, ct) =>
        {
            var prompts = parse.GetValue(promptFile) is { } file ? PromptFile.Read("--prompt-file", file) : null;
            var conditioning = parse.GetValue(captions) || prompts is not null ? CaptionConditioning.Caption : CaptionConditioning.Null;
            var levels = parse.GetValue(timesteps)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(t => double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && v is >= 0 and <= 1 ? v
                    : throw new ArgumentException($"--timesteps: '{t}' is not a noise level in [0, 1]")).ToList();
            var keys = parse.GetValue(hooks)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .SelectMany(h => levels.Select(t => new TimestepKey(h, t, conditioning).Name)).ToList();
            var dataset = DatasetSpec.Parse($"shapes:test:{parse.GetValue(images)}");
            await using var session = await PlatformSession.OpenAsync(parse.GetValue(db), ct);
            var modelId = await StudyModels.ResolveAsync(session, parse.GetValue(model)!, ModelFamily.Diffusion, ct);
            var spec = new ExtractionJobSpec(modelId, keys, dataset, Math.Min(parse.GetValue(shards), dataset.Count), Prompts: prompts).Validated();
            var set = await ExtractCommand.RunAsync(session, CliIds.New("extract"), spec, detach: false, ct);
            Console.WriteLine($"timestep SAEs on it: mminterp diffusion sae --model {modelId} --activations {set?.Id} --hook HOOK --timesteps {parse.GetValue(timesteps)}");
            return 0;
        });
        return command;
    }

    static Command Temporal() =>
        new StudyVerb("temporal", "earliest noise level at which each attribute is linearly decodable from the denoiser (colour before fill?)",
            AnalysisCatalog.Get<DiffusionStudyAnalysis>(), ModelFamily.Diffusion, "diffusion-temporal")
        {
            Only = ["seeds", "train_images", "test_images", "timesteps", "trajectory_prompts", "prompts"],
            Defaults = new Dictionary<string, string> { ["seeds"] = "3" },
            Fixed = StudyVerb.Parts(DiffusionStudyOptions.Temporal),
            ResultsFile = "temporal.json",
        }.Create();

    static Command Lens() =>
        new StudyVerb("lens", "diffusion steering lens (each block's or U-Net level's clean-image estimate at each step; a U-Net's levels through fitted translators) and cross-attention maps per token",
            AnalysisCatalog.Get<DiffusionStudyAnalysis>(), ModelFamily.Diffusion, "diffusion-lens")
        {
            Only = ["lens_prompts", "pictured", "prompts"],
            Defaults = new Dictionary<string, string> { ["lens_prompts"] = "64", ["pictured"] = "3" },
            Legacy = new Dictionary<string, string> { ["--prompts"] = "lens_prompts" },
            Fixed = StudyVerb.Parts(DiffusionStudyOptions.Lens),
            ResultsFile = "lens.json",
        }.Create();

    static Command Heads() =>
        new StudyVerb("heads", "ablate every block and head: denoising-loss increase and generated-image accuracy drop, and whether their rankings agree",
            AnalysisCatalog.Get<DiffusionStudyAnalysis>(), ModelFamily.Diffusion, "diffusion-heads")
        {
            Only = ["ablation_images", "loss_images", "heads", "role_images"],
            Legacy = new Dictionary<string, string> { ["--images"] = "ablation_images" },
            Fixed = StudyVerb.Parts(DiffusionStudyOptions.HeadsPart),
            ResultsFile = "ablations.json",
            Extra = command =>
            {
                var blocksOnly = new Option<bool>("--blocks-only") { Description = "ablate blocks only (the same as --heads false)" };
                command.Options.Add(blocksOnly);
                return (parse, _, json, _) =>
                {
                    if (parse.GetValue(blocksOnly)) json["heads"] = false;
                    return Task.CompletedTask;
                };
            },
        }.Create();

    static Command Train()
    {
        var command = new Command("train", "train the tiny text-to-image model on a CLIP's text tower (a ZooBuild on the cluster, registered; exported to --out)");
        var textEncoder = new Option<string>("--text-encoder") { Description = "CLIP whose text tower conditions the denoiser: a registered clip model id or name, or an HF-format CLIP directory (registered first)", Required = true };
        var output = new Option<string>("--out") { Description = $"output directory (default: {OutputPaths.Shown("zoo/diffusion")})", DefaultValueFactory = _ => OutputPaths.Under("zoo/diffusion") };
        var device = new Option<string>("--device") { Description = "cpu or cuda[:n]", DefaultValueFactory = _ => "cpu" };
        var db = DatabaseOption.Create();
        var options = new DiffusionOptions();
        options.AddTo(command);
        foreach (var o in new Option[] { textEncoder, output, device, db }) command.Options.Add(o);
        CliAction.Set(command, async (parse, ct) =>
        {
            var config = options.Read(parse);
            var dev = ZooCommand.Device(parse.GetValue(device)!);
            await using var session = await PlatformSession.OpenAsync(parse.GetValue(db), ct);
            var clipId = await StudyModels.ResolveAsync(session, parse.GetValue(textEncoder)!, ModelFamily.Clip, ct, "--text-encoder");
            return await ZooDiffusionCommand.BuildAsync(session, ZooBuildSpec.Diffusion(config, clipId, dev), config, parse.GetValue(output)!, ct);
        });
        return command;
    }

    public static void PrintMetrics(DiffusionMetrics m, double trainSeconds, DiffusionZooConfig c) => PrintMetrics(m, trainSeconds, c.EvalSeed, c.SampleSteps, c.Guidance);

    /// <summary>A zoo text-to-image model's held-out figures beside their controls (the DiT's and the U-Net's alike).</summary>
    public static void PrintMetrics(DiffusionMetrics m, double trainSeconds, long evalSeed, int sampleSteps, double guidance)
    {
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"generated-image accuracy vs prompt (held-out seed {evalSeed}, {m.EvalImages} images, {sampleSteps} steps, guidance {guidance}): colour {m.ColourAccuracy:F3}, shape {m.ShapeAccuracy:F3}, position {m.PositionAccuracy:F3}, size {m.SizeAccuracy:F3}, fill {m.FillAccuracy:F3}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"control (prompts shuffled): colour {m.ShuffledColourAccuracy:F3}, shape {m.ShuffledShapeAccuracy:F3}, position {m.ShuffledPositionAccuracy:F3}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"classifier on real held-out images: colour {m.ClassifierColour:F3}, shape {m.ClassifierShape:F3}, position {m.ClassifierPosition:F3}, size {m.ClassifierSize:F3}, fill {m.ClassifierFill:F3}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"held-out denoising loss {m.HeldOutLoss:F4}; trained in {trainSeconds:F0} s"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"figure diffusion_colour_accuracy: {m.ColourAccuracy:F3}"));
    }
}
