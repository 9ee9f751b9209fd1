using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using MMInterp.Client.Cli;
using MMInterp.Client.Platform;
using MMInterp.Grains.Registry;
using MMInterp.Kernels.Analyses;
using MMInterp.Kernels.Checkpoints;
using MMInterp.Kernels.Extraction;
using MMInterp.Kernels.Interp.Diffusion;
using MMInterp.Kernels.Models.Diffusion;
using MMInterp.Kernels.Plots;
using MMInterp.Kernels.ShapesWorld;
using MMInterp.Kernels.Tensors;
using MMInterp.Kernels.Zoo;

namespace MMInterp.Client.Commands;

/// <summary>`mminterp diffusion train|extract|temporal|heads|lens|sae|steer`: the tiny text-to-image model. train and extract work on
/// directories; the analyses (temporal, lens, heads, sae, steer) are experiments on the cluster (a --model directory is registered first).</summary>
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

    internal static readonly JsonSerializerOptions Json = new() { WriteIndented = true, NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals };

    internal static (Option<string> Model, Option<string> Out, Option<string?> Db) Common(Command command, string defaultOut)
    {
        var model = new Option<string>("--model") { Description = "diffusion model directory (`diffusion train`, `zoo build diffusion --out`) or registered model id", Required = true };
        var output = new Option<string>("--out") { Description = "output directory (PNGs and JSON)", DefaultValueFactory = _ => defaultOut };
        var db = DatabaseOption.Create();
        foreach (var o in new Option[] { model, output, db }) command.Options.Add(o);
        return (model, output, db);
    }

    internal static async Task<DiffusionBundle> LoadAsync(ParseResult parse, Option<string> model, Option<string?> db, CancellationToken ct)
    {
        var name = parse.GetValue(model)!;
        if (Directory.Exists(name)) return DiffusionCheckpoint.Load(name);
        // A path, not an id: say so without starting the platform.
        if (name.Contains('/') || name.Contains('\\')) throw new ArgumentException($"--model: directory '{name}' not found");
        await using var session = await PlatformSession.OpenAsync(parse.GetValue(db), ct);
        if (await session.Registry.Models.GetAsync(name, ct) is null) throw new ArgumentException($"--model '{name}' is neither a directory nor a registered model id");
        return DiffusionCheckpoint.Load(await session.Models.DirectoryAsync(name, ModelFamily.Diffusion, ct, "this needs a diffusion model with a checkpoint"));
    }

    static Command Extract()
    {
        var command = new Command("extract", "timestep-resolved activations: one activation set per (hook, noise level), listed in timesteps.json");
        var (model, output, db) = Common(command, "diffusion-activations");
        var hooks = new Option<string>("--hooks") { Description = "comma-separated denoiser hook points", DefaultValueFactory = _ => "denoiser.blocks.1.hook_resid_post" };
        var timesteps = new Option<string>("--timesteps") { Description = "comma-separated noise levels in [0, 1]", DefaultValueFactory = _ => "0.9,0.7,0.5,0.3,0.1" };
        var images = new Option<int>("--images") { Description = "held-out single-object images", DefaultValueFactory = _ => 256 };
        var captions = new Option<bool>("--captions") { Description = "condition on the true captions (default: the null caption)" };
        foreach (var o in new Option[] { hooks, timesteps, images, captions }) command.Options.Add(o);
        CliAction.Set(command, async (parse, ct) =>
        {
            using var bundle = await LoadAsync(parse, model, db, ct);
            var config = new TimestepExtractionConfig
            {
                Hooks = parse.GetValue(hooks)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
                Timesteps = parse.GetValue(timesteps)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                    .Select(t => double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : throw new ArgumentException($"--timesteps: '{t}' is not a number")).ToList(),
                Images = parse.GetValue(images), Conditioning = parse.GetValue(captions) ? CaptionConditioning.Caption : CaptionConditioning.Null,
            }.Validate(bundle.Denoiser);
            var dir = parse.GetValue(output)!;
            var sets = await CliAction.WithProgress("extract", _ => Task.Run(() => TimestepActivations.Extract(bundle, config, dir), ct));
            foreach (var s in sets) Console.WriteLine($"{s.Key.Name}: {s.Rows} rows x {s.D} in {Path.Combine(dir, s.Directory)}");
            return 0;
        });
        return command;
    }

    static Command Temporal() =>
        new StudyVerb("temporal", "earliest noise level at which each attribute is linearly decodable from the denoiser (colour before fill?)",
            AnalysisCatalog.Get<DiffusionStudyAnalysis>(), ModelFamily.Diffusion, "diffusion-temporal")
        {
            Only = ["seeds", "train_images", "test_images", "timesteps", "trajectory_prompts"],
            Defaults = new Dictionary<string, string> { ["seeds"] = "3" },
            Fixed = StudyVerb.Parts(DiffusionStudyOptions.Temporal),
            ResultsFile = "temporal.json",
        }.Create();

    static Command Lens() =>
        new StudyVerb("lens", "diffusion steering lens (each block's clean-image estimate at each step) and cross-attention maps per token",
            AnalysisCatalog.Get<DiffusionStudyAnalysis>(), ModelFamily.Diffusion, "diffusion-lens")
        {
            Only = ["lens_prompts", "pictured"],
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
        var command = new Command("train", "train the tiny text-to-image model into a directory (`zoo build diffusion` caches and registers it)");
        var textEncoder = new Option<string>("--text-encoder") { Description = "HF-format CLIP directory whose text tower conditions the denoiser", Required = true };
        var output = new Option<string>("--out") { Description = "output directory", DefaultValueFactory = _ => "zoo/diffusion" };
        var device = new Option<string>("--device") { Description = "cpu or cuda[:n]", DefaultValueFactory = _ => "cpu" };
        var options = new DiffusionOptions();
        options.AddTo(command);
        foreach (var o in new Option[] { textEncoder, output, device }) command.Options.Add(o);
        CliAction.Set(command, async (parse, ct) =>
        {
            var config = options.Read(parse);
            var dev = TorchRuntime.ParseDevice(parse.GetValue(device)!);
            var clip = ClipCheckpoint.Load(parse.GetValue(textEncoder)!);
            if (clip.Tokenizer is null) throw new ArgumentException($"text encoder '{parse.GetValue(textEncoder)}' has no tokenizer (vocab.json, merges.txt)");
            var dir = parse.GetValue(output)!;
            var (result, bundle) = await CliAction.WithProgress("tiny diffusion", report =>
                Task.Run(() => new DiffusionZooTrainer(config).Build(clip.Model, clip.Tokenizer, dir, (p, n) => report(p, n), dev, ct), ct));
            bundle.Dispose();
            PrintMetrics(result.Metrics, result.TrainSeconds, config);
            Console.WriteLine($"written to {Path.GetFullPath(dir)}");
            return 0;
        });
        return command;
    }

    public static void PrintMetrics(DiffusionMetrics m, double trainSeconds, DiffusionZooConfig c)
    {
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"generated-image accuracy vs prompt (held-out seed {c.EvalSeed}, {m.EvalImages} images, {c.SampleSteps} steps, guidance {c.Guidance}): colour {m.ColourAccuracy:F3}, shape {m.ShapeAccuracy:F3}, position {m.PositionAccuracy:F3}, size {m.SizeAccuracy:F3}, fill {m.FillAccuracy:F3}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"control (prompts shuffled): colour {m.ShuffledColourAccuracy:F3}, shape {m.ShuffledShapeAccuracy:F3}, position {m.ShuffledPositionAccuracy:F3}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"classifier on real held-out images: colour {m.ClassifierColour:F3}, shape {m.ClassifierShape:F3}, position {m.ClassifierPosition:F3}, size {m.ClassifierSize:F3}, fill {m.ClassifierFill:F3}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"held-out denoising loss {m.HeldOutLoss:F4}; trained in {trainSeconds:F0} s"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"figure diffusion_colour_accuracy: {m.ColourAccuracy:F3}"));
    }
}
