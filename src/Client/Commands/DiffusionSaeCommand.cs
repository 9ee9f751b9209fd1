using System.CommandLine;
using System.Globalization;
using MMInterp.Client.Cli;
using MMInterp.Kernels.Interp.Diffusion;
using MMInterp.Kernels.Sae;
using static MMInterp.Client.Commands.DiffusionCommand;

namespace MMInterp.Client.Commands;

/// <summary>`mminterp diffusion sae`: one SAE per noise level at a denoiser hook, with per-level reconstruction and how
/// early single features decode each attribute.</summary>
public static class DiffusionSaeCommand
{
    public static Command Create()
    {
        var command = new Command("sae", "train one SAE per noise level at a denoiser hook (timestep-resolved SAEs); reports FVU, L0 and feature decodability per level");
        var (model, output, db) = Common(command, "diffusion-saes");
        var d = new TimestepSaeConfig();
        var hook = new Option<string?>("--hook") { Description = "denoiser hook point (default: the last block's hook_resid_post)" };
        var timesteps = new Option<string>("--timesteps") { Description = "comma-separated noise levels in [0, 1], one SAE each", DefaultValueFactory = _ => string.Join(",", d.Timesteps.Select(t => t.ToString(CultureInfo.InvariantCulture))) };
        var kind = new Option<string>("--kind") { Description = "SAE kind: topk, batchtopk, relu, jumprelu", DefaultValueFactory = _ => "topk" };
        var expansion = new Option<int>("--expansion") { Description = "dictionary size / hook width", DefaultValueFactory = _ => d.Expansion };
        var k = new Option<int>("--k") { Description = "active latents per row (TopK)", DefaultValueFactory = _ => d.K };
        var steps = new Option<int>("--steps") { Description = "training steps per SAE", DefaultValueFactory = _ => d.Steps };
        var train = new Option<int>("--train-images") { Description = "training images per level (half captioned, half null caption)", DefaultValueFactory = _ => d.TrainImages };
        var test = new Option<int>("--test-images") { Description = "held-out images per caption policy", DefaultValueFactory = _ => d.TestImages };
        var activations = new Option<string?>("--activations") { Description = "train on a `diffusion extract` directory (sharded, keyed by hook and level) instead of fresh activations" };
        foreach (var o in new Option[] { hook, timesteps, kind, expansion, k, steps, train, test, activations }) command.Options.Add(o);
        CliAction.Set(command, async (parse, ct) =>
        {
            using var bundle = await LoadAsync(parse, model, db, ct);
            var kindText = parse.GetValue(kind)!;
            var config = new TimestepSaeConfig
            {
                Hook = parse.GetValue(hook), Timesteps = ParseLevels(parse.GetValue(timesteps)!, "--timesteps"),
                Kind = Enum.TryParse<SaeKind>(kindText, ignoreCase: true, out var kv) ? kv : throw new ArgumentException($"--kind: '{kindText}' is not one of topk, batchtopk, relu, jumprelu"),
                Expansion = parse.GetValue(expansion), K = parse.GetValue(k), Steps = parse.GetValue(steps),
                TrainImages = parse.GetValue(train), TestImages = parse.GetValue(test),
            }.Validate(bundle.Denoiser);
            var dir = parse.GetValue(output)!;
            var extraction = parse.GetValue(activations);
            var result = await CliAction.WithProgress("timestep SAEs", report => Task.Run(() => extraction is null
                ? TimestepSaes.Train(bundle, config, dir, (p, n) => report(p, n))
                : new TimestepSaeResult(config.Hook!, 0, 0, TimestepSaes.FitExtraction(extraction, config, dir, progress: (p, n) => report(p, n)), null, dir), ct));
            Console.WriteLine($"{result.Hook}: {config.Expansion}x features per level ({config.Kind}, k {config.K}), {config.Steps} steps each");
            Console.WriteLine($"{"level",-8} {"FVU",7} {"EV",7} {"err/|x|^2",10} {"L0",7} {"dead",6}");
            foreach (var l in result.Levels)
                Console.WriteLine($"{l.T.ToString("0.000", CultureInfo.InvariantCulture),-8} {F(l.Fvu),7} {F(l.ExplainedVariance),7} {F(l.ErrorOverZero),10} {l.L0,7:F2} {F(l.DeadShare),6}");
            if (result.Decodability is { } dec)
            {
                Console.WriteLine($"single-feature AUROC (null caption, feature chosen on training images) by level {string.Join(" ", dec.Timesteps.Select(t => t.ToString("0.00", CultureInfo.InvariantCulture)))}; earliest level >= {F(dec.Threshold)}");
                foreach (var (a, values) in dec.Auroc)
                    Console.WriteLine($"  {a.ToString().ToLowerInvariant(),-9} {string.Join(" ", values.Select(F))}   earliest {F(dec.Earliest[a])}");
            }
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"figure diffusion_timestep_sae_explained_variance: {result.Levels.Average(l => l.ExplainedVariance):F3}"));
            Console.WriteLine($"written to {Path.GetFullPath(dir)} ({TimestepSaeSet.ManifestFile})");
            return 0;
        });
        return command;
    }

    internal static IReadOnlyList<double> ParseLevels(string text, string option) =>
        text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(t => double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : throw new ArgumentException($"{option}: '{t}' is not a number")).ToList();
}
