using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using MMInterp.Client.Cli;
using MMInterp.Kernels.Interp.Diffusion;
using MMInterp.Kernels.Plots;
using MMInterp.Kernels.ShapesWorld;
using static MMInterp.Client.Commands.DiffusionCommand;

namespace MMInterp.Client.Commands;

/// <summary>`mminterp diffusion steer`: add each colour's best-detecting timestep-SAE feature during sampling of prompts
/// naming another colour; success against a random direction of equal norm and the unsteered rate, per step window.</summary>
public static class DiffusionSteerCommand
{
    public static Command Create()
    {
        var command = new Command("steer", "steer colour during sampling with timestep-SAE features (`diffusion sae`): success vs random-direction and unsteered controls, early vs late steps");
        var (model, output, db) = Common(command, "diffusion-steer");
        var d = new DiffusionSteeringConfig();
        var sae = new Option<string>("--sae") { Description = "timestep SAE directory (`mminterp diffusion sae --out`)", Required = true };
        var prompts = new Option<int>("--prompts-per-colour") { Description = "prompts per target colour (each names another colour)", DefaultValueFactory = _ => d.PromptsPerColour };
        var strength = new Option<double>("--strength") { Description = "added value in units of the feature's mean peak on its colour", DefaultValueFactory = _ => d.Strength };
        var selection = new Option<int>("--selection-images") { Description = "captioned images per level for choosing the features", DefaultValueFactory = _ => d.SelectionImages };
        var sampleSteps = new Option<int>("--sample-steps") { Description = "Euler steps (0 = the model's own)", DefaultValueFactory = _ => 0 };
        var seed = new Option<long>("--seed") { Description = "seed of prompts, noise, selection images and random directions", DefaultValueFactory = _ => d.Seed };
        foreach (var o in new Option[] { sae, prompts, strength, selection, sampleSteps, seed }) command.Options.Add(o);
        CliAction.Set(command, async (parse, ct) =>
        {
            var config = new DiffusionSteeringConfig
            {
                PromptsPerColour = parse.GetValue(prompts), Strength = parse.GetValue(strength), SelectionImages = parse.GetValue(selection),
                SampleSteps = parse.GetValue(sampleSteps), Seed = parse.GetValue(seed), Pictured = Math.Min(d.Pictured, parse.GetValue(prompts)),
            }.Validate();
            var saeDir = parse.GetValue(sae)!;
            if (!Directory.Exists(saeDir)) throw new ArgumentException($"--sae: directory '{saeDir}' not found");
            using var bundle = await LoadAsync(parse, model, db, ct);
            using var set = TimestepSaeSet.Load(saeDir);
            var result = await CliAction.WithProgress("steering", report => Task.Run(() => DiffusionSteering.Run(bundle, set, config, (p, n) => report(p, n)), ct));
            var dir = parse.GetValue(output)!;
            Directory.CreateDirectory(dir);
            Write(result, config, dir);
            Print(result);
            Console.WriteLine($"written to {Path.GetFullPath(dir)}");
            return 0;
        });
        return command;
    }

    static void Write(DiffusionSteeringResult r, DiffusionSteeringConfig c, string dir)
    {
        File.WriteAllText(Path.Combine(dir, "steering.json"), JsonSerializer.Serialize(new
        {
            r.Hook, r.Levels, r.Strength, r.Images, r.Features, r.Unsteered, r.Windows,
            diffusion_steering_success = r.Headline.Feature.Success, diffusion_steering_random_control = r.Headline.Random.Success,
            diffusion_steering_unsteered_control = r.Unsteered.Success,
        }, Json));
        DiffusionFigures.WriteSteering(dir, r, c.Pictured);
    }

    static void Print(DiffusionSteeringResult r)
    {
        var ci = CultureInfo.InvariantCulture;
        Console.WriteLine($"hook {r.Hook}, levels {string.Join(",", r.Levels.Select(t => t.ToString("0.00", ci)))}, strength {r.Strength.ToString(ci)}, {r.Images} prompts per condition");
        foreach (var g in r.Features.GroupBy(f => f.T))
            Console.WriteLine($"  t={g.Key.ToString("0.00", ci)} features: {string.Join(", ", g.Select(f => $"{f.ColourName} #{f.Feature} (AUROC {F(f.Auroc)})"))}");
        Console.WriteLine($"{"window",-8} {"steps",5} {"feature",8} {"random",8} {"unsteered",9} {"kept(f)",8} {"kept(r)",8}  feature success per colour ({string.Join(" ", AttributeWords.Colours)})");
        foreach (var w in r.Windows)
            Console.WriteLine($"{w.Window.Name,-8} {w.StepsSteered,5} {F(w.Feature.Success),8} {F(w.Random.Success),8} {F(r.Unsteered.Success),9} {F(w.Feature.PromptKept),8} {F(w.Random.PromptKept),8}  {string.Join(" ", w.Feature.PerColour.Select(F))}");
        Console.WriteLine($"unsteered: prompt colour kept {F(r.Unsteered.PromptKept)}");
        Console.WriteLine($"classifier probability of the target colour: unsteered {F(r.Unsteered.TargetProbability)}; {string.Join("; ", r.Windows.Select(w => $"{w.Window.Name}: feature {F(w.Feature.TargetProbability)}, random {F(w.Random.TargetProbability)}"))}");
        Console.WriteLine($"figure diffusion_steering_success: {F(r.Headline.Feature.Success)}");
        Console.WriteLine($"figure diffusion_steering_random_control: {F(r.Headline.Random.Success)}");
        Console.WriteLine($"figure diffusion_steering_unsteered_control: {F(r.Unsteered.Success)}");
    }
}
