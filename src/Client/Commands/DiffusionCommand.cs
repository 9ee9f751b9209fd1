using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using MMInterp.Client.Cli;
using MMInterp.Client.Platform;
using MMInterp.Grains.Registry;
using MMInterp.Kernels.Checkpoints;
using MMInterp.Kernels.Interp.Diffusion;
using MMInterp.Kernels.Plots;
using MMInterp.Kernels.ShapesWorld;
using MMInterp.Kernels.Tensors;
using MMInterp.Kernels.Zoo;

namespace MMInterp.Client.Commands;

/// <summary>`mminterp diffusion train|extract|temporal|heads|lens|sae|steer`: the tiny text-to-image model on directories, no registry.</summary>
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

    internal static string F(double v) => v.ToString("F3", CultureInfo.InvariantCulture);

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

    static Command Temporal()
    {
        var command = new Command("temporal", "earliest noise level at which each attribute is linearly decodable from the denoiser (colour before fill?)");
        var (model, output, db) = Common(command, "diffusion-temporal");
        var seeds = new Option<int>("--seeds") { Description = "data seeds (spread of the earliest levels)", DefaultValueFactory = _ => 3 };
        var train = new Option<int>("--train-images") { Description = "probe training images per seed", DefaultValueFactory = _ => 384 };
        var test = new Option<int>("--test-images") { Description = "probe test images per seed", DefaultValueFactory = _ => 192 };
        foreach (var o in new Option[] { seeds, train, test }) command.Options.Add(o);
        CliAction.Set(command, async (parse, ct) =>
        {
            if (parse.GetValue(seeds) < 1) throw new ArgumentException("--seeds must be at least 1");
            var config = new TemporalConfig
            {
                Seeds = Enumerable.Range(0, parse.GetValue(seeds)).Select(i => 3_000_017L + 1000L * i).ToList(),
                TrainImages = parse.GetValue(train), TestImages = parse.GetValue(test),
            }.Validate();
            using var bundle = await LoadAsync(parse, model, db, ct);
            var result = await CliAction.WithProgress("temporal", report => Task.Run(() => TemporalAnalysis.Run(bundle, config, (p, n) => report(p, n)), ct));
            var dir = parse.GetValue(output)!;
            Directory.CreateDirectory(dir);
            var figure = result.ColourBeforeFill();
            File.WriteAllText(Path.Combine(dir, "temporal.json"), JsonSerializer.Serialize(new { result.Timesteps, result.Hooks, result.Curves, result.Trajectory, temporal_colour_before_fill = figure }, Json));
            DiffusionFigures.WriteTemporal(dir, result);
            Console.WriteLine($"{"attribute",-10} {"chance",7} {"thresh",7} {"earliest t (per seed)",-28} accuracy by t: {string.Join(" ", result.Timesteps.Select(t => t.ToString("0.00", CultureInfo.InvariantCulture)))}");
            foreach (var c in result.Curves)
            {
                Console.WriteLine($"{c.Attribute.ToString().ToLowerInvariant(),-10} {F(c.Chance),7} {F(c.Threshold),7} {string.Join(",", c.EarliestPerSeed.Select(F)),-28} {string.Join(" ", c.Accuracy.Select(F))}");
                Console.WriteLine($"{"  pixels",-10} {"",7} {"",7} {"",-28} {string.Join(" ", c.PixelControl.Select(F))}");
            }
            if (result.Trajectory is { } tr)
                foreach (var (a, acc) in tr.Accuracy)
                    Console.WriteLine($"generation {a.ToString().ToLowerInvariant(),-9} clean-estimate accuracy by step: {string.Join(" ", acc.Select(F))}");
            Console.WriteLine($"figure temporal_colour_before_fill: {figure}");
            Console.WriteLine($"written to {Path.GetFullPath(dir)}");
            return 0;
        });
        return command;
    }

    static Command Lens()
    {
        var command = new Command("lens", "diffusion steering lens (each block's clean-image estimate at each step) and cross-attention maps per token");
        var (model, output, db) = Common(command, "diffusion-lens");
        var prompts = new Option<int>("--prompts") { Description = "held-out prompts scored", DefaultValueFactory = _ => 64 };
        var pictured = new Option<int>("--pictured") { Description = "prompts drawn as grids", DefaultValueFactory = _ => 3 };
        foreach (var o in new Option[] { prompts, pictured }) command.Options.Add(o);
        CliAction.Set(command, async (parse, ct) =>
        {
            using var bundle = await LoadAsync(parse, model, db, ct);
            var config = new LensConfig { Prompts = parse.GetValue(prompts), Pictured = parse.GetValue(pictured) }.Validate(bundle.Config.SampleSteps);
            var lens = await CliAction.WithProgress("lens", _ => Task.Run(() => SteeringLens.Run(bundle, config), ct));
            var dir = parse.GetValue(output)!;
            Directory.CreateDirectory(dir);
            DiffusionFigures.WriteLens(dir, lens);
            File.WriteAllText(Path.Combine(dir, "lens.json"), JsonSerializer.Serialize(new { lens.Prompts, lens.T, lens.LayerNames, lens.Accuracy, lens.CrossAttentionStep }, Json));
            foreach (var (a, grid) in lens.Accuracy)
            {
                Console.WriteLine($"lens {a.ToString().ToLowerInvariant()} accuracy (rows: layer; columns: steps {string.Join(" ", lens.T.Select(t => "t" + t.ToString("0.00", CultureInfo.InvariantCulture)))})");
                for (var l = 0; l < grid.Length; l++) Console.WriteLine($"  {lens.LayerNames[l],-8} {string.Join(" ", grid[l].Select(F))}");
            }
            for (var p = 0; p < lens.Prompts.Count && p < config.Pictured; p++) Console.WriteLine($"prompt {p}: {lens.Prompts[p]}");
            Console.WriteLine($"written to {Path.GetFullPath(dir)}");
            return 0;
        });
        return command;
    }

    static Command Heads()
    {
        var command = new Command("heads", "ablate every block and head: denoising-loss increase and generated-image accuracy drop, and whether their rankings agree");
        var (model, output, db) = Common(command, "diffusion-heads");
        var images = new Option<int>("--images") { Description = "generated images per ablation", DefaultValueFactory = _ => 64 };
        var noHeads = new Option<bool>("--blocks-only") { Description = "ablate blocks only" };
        foreach (var o in new Option[] { images, noHeads }) command.Options.Add(o);
        CliAction.Set(command, async (parse, ct) =>
        {
            using var bundle = await LoadAsync(parse, model, db, ct);
            var config = new AblationConfig { Images = parse.GetValue(images), Heads = !parse.GetValue(noHeads) }.Validate();
            var roles = config.Heads ? await CliAction.WithProgress("head roles", _ => Task.Run(() => HeadRoles.Classify(bundle, new HeadRoleConfig()), ct)) : [];
            var result = await CliAction.WithProgress("ablations", report => Task.Run(() => DiffusionAblation.Run(bundle, config, progress: (p, n) => report(p, n)), ct));
            var dir = parse.GetValue(output)!;
            Directory.CreateDirectory(dir);
            var b = result.Baseline;
            Console.WriteLine($"baseline: loss {b.Loss:F4}, colour {F(b.Accuracy[ObjectAttribute.Colour])}, position {F(b.Accuracy[ObjectAttribute.Position])}, shape {F(b.Accuracy[ObjectAttribute.Shape])}");
            Console.WriteLine($"{"ablation",-16} {"role",-12} {"loss +%",8} {"colour -",9} {"position -",11} {"shape -",8}");
            foreach (var e in result.Effects)
            {
                var role = roles.FirstOrDefault(r => r.Kind == e.Kind && r.Block == e.Block && r.Head == e.Head);
                Console.WriteLine($"{e.Name,-16} {role?.Role.ToString().ToLowerInvariant() ?? "",-12} {100 * e.RelativeLossIncrease,8:F1} {F(e.ColourDrop),9} {F(e.PositionDrop),11} {F(e.ShapeDrop),8}");
            }
            var perRole = DiffusionFigures.ByRole(roles, result);
            DiffusionFigures.WriteAblations(dir, result);
            foreach (var r in perRole)
                Console.WriteLine($"role {r.Role,-12} heads {r.Heads} ({r.SelfAttention} self-attn): mean loss +{r.LossIncreasePct:F1}%, accuracy drop: colour {F(r.ColourDrop)}, position {F(r.PositionDrop)}, shape {F(r.ShapeDrop)}");
            File.WriteAllText(Path.Combine(dir, "ablations.json"), JsonSerializer.Serialize(new { result.Baseline, result.Effects, result.RankAgreement, roles, per_role = perRole }, Json));
            Console.WriteLine($"rank agreement (Spearman, loss increase vs accuracy drop): {F(result.RankAgreement)}");
            Console.WriteLine($"written to {Path.GetFullPath(dir)}");
            return 0;
        });
        return command;
    }

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
