using System.CommandLine;
using System.Globalization;
using MMInterp.Client.Cli;
using MMInterp.Client.Platform;
using MMInterp.Kernels.Tensors;
using MMInterp.Kernels.Zoo;

namespace MMInterp.Client.Commands;

/// <summary>`mminterp zoo build clip`: has the tiny CLIP built on ShapesWorld (once per config, as a ZooBuild grain on an
/// accelerator silo), which registers it; prints its held-out figures and exports it in HF layout.</summary>
public static class ZooCommand
{
    public static Command Create()
    {
        var zoo = new Command("zoo", "models the platform trains on ShapesWorld");
        var build = new Command("build", "train a zoo model");
        var clip = new Command("clip", "tiny CLIP (ViT patch 4 + text transformer) on ShapesWorld");
        var output = new Option<string>("--out") { Description = $"output directory (default: {OutputPaths.Shown("zoo/clip")})", DefaultValueFactory = _ => OutputPaths.Under("zoo/clip") };
        var seed = new Option<long>("--seed") { Description = "training seed (also the training split)", DefaultValueFactory = _ => ClipZooConfig.Default.Seed };
        var steps = new Option<int>("--steps") { Description = "optimiser steps", DefaultValueFactory = _ => ClipZooConfig.Default.Steps };
        var batch = new Option<int>("--batch") { Description = "batch size", DefaultValueFactory = _ => ClipZooConfig.Default.BatchSize };
        var device = new Option<string>("--device") { Description = "cpu or cuda[:n]", DefaultValueFactory = _ => "cpu" };
        var lr = new Option<double>("--lr") { Description = "peak learning rate", DefaultValueFactory = _ => ClipZooConfig.Default.LearningRate };
        var width = new Option<int>("--width") { Description = "vision and text width", DefaultValueFactory = _ => ClipZooConfig.Default.VisionWidth };
        var visionLayers = new Option<int>("--vision-layers") { Description = "ViT blocks", DefaultValueFactory = _ => ClipZooConfig.Default.VisionLayers };
        var textLayers = new Option<int>("--text-layers") { Description = "text blocks", DefaultValueFactory = _ => ClipZooConfig.Default.TextLayers };
        var overlay = new Option<double>("--overlay-rate") { Description = "share of training images with a written word the caption names", DefaultValueFactory = _ => ClipZooConfig.Default.OverlayRate };
        var threads = new Option<int>("--threads") { Description = "CPU threads", DefaultValueFactory = _ => ClipZooConfig.Default.Threads };
        var db = DatabaseOption.Create();
        foreach (var o in new Option[] { db, output, seed, steps, batch, device, lr, width, visionLayers, textLayers, overlay, threads }) clip.Options.Add(o);
        CliAction.Set(clip, async (parse, ct) =>
        {
            var config = (ClipZooConfig.Default with
            {
                Seed = parse.GetValue(seed), Steps = parse.GetValue(steps), BatchSize = parse.GetValue(batch),
                LearningRate = parse.GetValue(lr), VisionWidth = parse.GetValue(width), TextWidth = parse.GetValue(width),
                ProjectionDim = parse.GetValue(width), VisionLayers = parse.GetValue(visionLayers), TextLayers = parse.GetValue(textLayers),
                OverlayRate = parse.GetValue(overlay), Threads = parse.GetValue(threads),
            }).Validate();
            var dev = Device(parse.GetValue(device)!);
            var dir = parse.GetValue(output)!;
            // Trained once per config: cached in the artefact store and registered under an id from the config hash.
            await using var session = await PlatformSession.OpenAsync(parse.GetValue(db), ct);
            var zooModel = await CliAction.WithProgress("tiny CLIP", report => ZooCatalog.EnsureClipAsync(session, config, (p, note) => report(p, note), ct, dev));
            if (zooModel.Cached) Console.WriteLine($"cached: {zooModel.Model.Id} was trained with this config before");
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"zero-shot colour {zooModel.Metric("ZeroShotColour"):F3}, shape {zooModel.Metric("ZeroShotShape"):F3} (held-out seed {config.EvalSeed}); image->text recall@5 {zooModel.Metric("RetrievalRecallAt5"):F3}"));
            // One `figure <name>: <value>` line per headline figure, as bench/RESULTS.md records them (docs/ARCHITECTURE.md, "Benchmarks").
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"figure clip_zero_shot_colour: {zooModel.Metric("ZeroShotColour"):F3}"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"figure clip_zero_shot_shape: {zooModel.Metric("ZeroShotShape"):F3}"));
            if (zooModel.Metrics?["Attack"] is { } attack)
            {
                // The typographic attack at build time: how much a wrong word costs, and how much of that is reading.
                double A(string name) => attack[name]?.GetValue<double>() ?? double.NaN;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"typographic attack: clean {A("Clean"):F3}, wrong word {A("Attacked"):F3}, true word at the same place {A("TrueWord"):F3}; follows the word {A("FollowsWord"):F3}, names the written word {A("WordReading"):F3}"));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"figure clip_attack_drop: {A("AttackDrop"):F3}"));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"figure clip_attack_reading_part: {A("ReadingPart"):F3}"));
            }
            Console.WriteLine($"registered model {zooModel.Model.Id} (checkpoint {zooModel.Model.CheckpointSha256})");
            Console.WriteLine(await ZooCatalog.ExportAsync(session, zooModel, dir, ct) is { } exported ? $"exported to {exported} (HF layout)" : $"not exported: {dir} is not empty");
            return 0;
        });
        build.Subcommands.Add(clip);
        build.Subcommands.Add(ZooVlmCommand.Create());
        build.Subcommands.Add(ZooDiffusionCommand.Create());
        build.Subcommands.Add(ZooUNetCommand.Create());
        zoo.Subcommands.Add(build);
        return zoo;
    }

    /// <summary>A --device checked here (a clear error before anything starts), in the form a zoo build spec carries.</summary>
    internal static string Device(string name)
    {
        TorchRuntime.ParseDevice(name);
        return name.Trim().ToLowerInvariant();
    }
}
