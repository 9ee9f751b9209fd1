using System.CommandLine;
using System.Globalization;
using MMInterp.Client.Cli;
using MMInterp.Client.Platform;
using MMInterp.Kernels.Interp.Vlm;
using MMInterp.Kernels.Plots;
using MMInterp.Kernels.Sae;
using TorchSharp;

namespace MMInterp.Client.Commands;

/// <summary>`mminterp vlm steer --model ID|DIR (--sae PATH | --train-sae) --out DIR`: clamps, per colour (or shape), the
/// SAE feature of the VLM's vision tower that detects it and reports how often the VLM's answer turns to it, beside
/// an equal-norm random direction and the unsteered rate; writes steering.json and steering.png.</summary>
public static class VlmSteerCommand
{
    public static Command Create()
    {
        var d = VlmSteeringConfig.Default;
        var s = new VlmVisionSaeOptions();
        var command = new Command("steer", "steer the VLM's answer through SAE features of its vision tower, against a random-direction control");
        var model = new Option<string>("--model") { Description = "registered VLM id, or a VLM directory", Required = true };
        var saePath = new Option<string?>("--sae") { Description = "an SAE (sae.safetensors) trained on --hook of this VLM" };
        var trainSae = new Option<bool>("--train-sae") { Description = "train a TopK SAE on --hook of this VLM's tower first (saved as sae.safetensors in --out)" };
        var hook = new Option<string>("--hook") { Description = "vision hook the SAE reads and the clamp writes", DefaultValueFactory = _ => d.Hook };
        var attribute = new Option<string>("--attribute") { Description = "colour or shape", DefaultValueFactory = _ => d.Attribute };
        var images = new Option<int>("--images") { Description = "held-out images steered per concept", DefaultValueFactory = _ => d.ImagesPerConcept };
        var clamp = new Option<double>("--clamp") { Description = "clamp value as a multiple of the feature's largest activation", DefaultValueFactory = _ => d.ClampMultiple };
        var dSae = new Option<int>("--d-sae") { Description = "features of a trained SAE", DefaultValueFactory = _ => s.DSae };
        var k = new Option<int>("--k") { Description = "TopK k of a trained SAE", DefaultValueFactory = _ => s.K };
        var saeSteps = new Option<int>("--sae-steps") { Description = "steps of SAE training", DefaultValueFactory = _ => s.Steps };
        var seed = new Option<long>("--seed") { Description = "random-direction control seed", DefaultValueFactory = _ => d.Seed };
        var output = new Option<string>("--out") { Description = "directory for steering.json and steering.png", DefaultValueFactory = _ => "vlm-steer" };
        var threads = new Option<int>("--threads") { Description = "CPU threads", DefaultValueFactory = _ => 1 };
        var db = DatabaseOption.Create();
        foreach (var o in new Option[] { db, model, saePath, trainSae, hook, attribute, images, clamp, dSae, k, saeSteps, seed, output, threads }) command.Options.Add(o);
        CliAction.Set(command, async (parse, ct) =>
        {
            torch.set_num_threads(parse.GetValue(threads));
            var path = parse.GetValue(saePath);
            var train = parse.GetValue(trainSae);
            if ((path is null) == !train) throw new ArgumentException("give exactly one of --sae PATH or --train-sae");
            var config = (d with
            {
                Hook = parse.GetValue(hook)!, Attribute = parse.GetValue(attribute)!, ImagesPerConcept = parse.GetValue(images),
                ClampMultiple = parse.GetValue(clamp), Seed = parse.GetValue(seed),
            }).Validate();
            var dir = parse.GetValue(output)!;
            Directory.CreateDirectory(dir);
            var loaded = await VlmCommand.LoadAsync(parse.GetValue(model)!, parse.GetValue(db), ct);
            using (loaded.Model)
            {
                double? fvu = null;
                SparseAutoencoder sae;
                if (train)
                {
                    var options = (s with { DSae = parse.GetValue(dSae), K = parse.GetValue(k), Steps = parse.GetValue(saeSteps) }).Validate();
                    Console.WriteLine($"training a TopK SAE (d_sae {options.DSae}, k {options.K}, {options.Steps} steps) on {config.Hook} of the VLM's tower");
                    (sae, var trainedFvu) = VlmVisionSae.Train(loaded.Model, config.Hook, options, ct);
                    fvu = trainedFvu;
                    path = Path.Combine(dir, "sae.safetensors");
                    SaeCheckpoint.SaveSae(path, sae);
                    Console.WriteLine($"SAE FVU {F(trainedFvu)}, saved to {path}");
                }
                else sae = SaeCheckpoint.LoadSae(path!);
                using (sae)
                {
                    var result = VlmSteering.Run(loaded.Model, loaded.Vocabulary, sae, config, (_, note) => Console.WriteLine(note), ct);
                    var png = Path.Combine(dir, "steering.png");
                    VlmSteeringPng.Write(result, png);
                    var json = VlmFigures.WriteJson(dir, "steering.json", new
                    {
                        figures = new Dictionary<string, double>
                        {
                            ["vlm_steering_success"] = result.Success, ["vlm_steering_random_control"] = result.RandomControl,
                            ["vlm_steering_unsteered"] = result.Baseline, ["clean_accuracy"] = result.CleanAccuracy,
                        },
                        config = result.Config, sae = path, sae_fvu = fvu, d_sae = result.DSae, trials = result.Trials, concepts = result.Concepts,
                    });
                    Console.WriteLine("concept          feature  AUROC  clamp   steered  random  unsteered");
                    foreach (var c in result.Concepts)
                        Console.WriteLine($"{c.Concept,-16} {c.Feature,7} {F(c.Auroc),6} {c.ClampValue,6:F2} {F(c.Success),8} {F(c.RandomControl),7} {F(c.Baseline),10}");
                    Console.WriteLine($"clean {config.Attribute} accuracy on the steered pool: {F(result.CleanAccuracy)}");
                    Console.WriteLine($"figure vlm_steering_success: {F(result.Success)} (random direction of equal norm: {F(result.RandomControl)}; unsteered: {F(result.Baseline)}; {result.Trials} images)");
                    Console.WriteLine($"wrote {Path.GetFileName(png)} and {Path.GetFileName(json)} to {Path.GetFullPath(dir)}");
                }
            }
            return 0;
        });
        return command;
    }

    static string F(double v) => v.ToString("F3", CultureInfo.InvariantCulture);
}
