using System.CommandLine;
using MMInterp.Client.Cli;
using MMInterp.Kernels.Tensors;
using MMInterp.Kernels.Zoo;

namespace MMInterp.Client.Commands;

/// <summary>`mminterp zoo build clip`: trains the tiny CLIP on ShapesWorld and writes it in HF layout.</summary>
public static class ZooCommand
{
    public static Command Create()
    {
        var zoo = new Command("zoo", "models the platform trains on ShapesWorld");
        var build = new Command("build", "train a zoo model");
        var clip = new Command("clip", "tiny CLIP (ViT patch 4 + text transformer) on ShapesWorld");
        var output = new Option<string>("--out") { Description = "output directory", DefaultValueFactory = _ => "zoo/clip" };
        var seed = new Option<long>("--seed") { Description = "training seed (also the training split)", DefaultValueFactory = _ => ClipZooConfig.Default.Seed };
        var steps = new Option<int>("--steps") { Description = "optimiser steps", DefaultValueFactory = _ => ClipZooConfig.Default.Steps };
        var batch = new Option<int>("--batch") { Description = "batch size", DefaultValueFactory = _ => ClipZooConfig.Default.BatchSize };
        var device = new Option<string>("--device") { Description = "cpu or cuda[:n]", DefaultValueFactory = _ => "cpu" };
        var lr = new Option<double>("--lr") { Description = "peak learning rate", DefaultValueFactory = _ => ClipZooConfig.Default.LearningRate };
        var width = new Option<int>("--width") { Description = "vision and text width", DefaultValueFactory = _ => ClipZooConfig.Default.VisionWidth };
        var visionLayers = new Option<int>("--vision-layers") { Description = "ViT blocks", DefaultValueFactory = _ => ClipZooConfig.Default.VisionLayers };
        var textLayers = new Option<int>("--text-layers") { Description = "text blocks", DefaultValueFactory = _ => ClipZooConfig.Default.TextLayers };
        var overlay = new Option<double>("--overlay-rate") { Description = "share of training images with a true word", DefaultValueFactory = _ => ClipZooConfig.Default.OverlayRate };
        var threads = new Option<int>("--threads") { Description = "CPU threads", DefaultValueFactory = _ => ClipZooConfig.Default.Threads };
        foreach (var o in new Option[] { output, seed, steps, batch, device, lr, width, visionLayers, textLayers, overlay, threads }) clip.Options.Add(o);
        CliAction.Set(clip, async (parse, ct) =>
        {
            var config = (ClipZooConfig.Default with
            {
                Seed = parse.GetValue(seed), Steps = parse.GetValue(steps), BatchSize = parse.GetValue(batch),
                LearningRate = parse.GetValue(lr), VisionWidth = parse.GetValue(width), TextWidth = parse.GetValue(width),
                ProjectionDim = parse.GetValue(width), VisionLayers = parse.GetValue(visionLayers), TextLayers = parse.GetValue(textLayers),
                OverlayRate = parse.GetValue(overlay), Threads = parse.GetValue(threads),
            }).Validate();
            var dev = TorchRuntime.ParseDevice(parse.GetValue(device)!);
            var dir = parse.GetValue(output)!;
            var result = await CliAction.WithProgress("tiny CLIP", report =>
                Task.Run(() => new ClipZooTrainer(config).Build(dir, (p, note) => report(p, note), dev, ct), ct));
            var m = result.Metrics;
            Console.WriteLine($"trained in {result.TrainSeconds:F0} s, final loss {result.FinalLoss:F3}");
            Console.WriteLine($"zero-shot colour {m.ZeroShotColour:F3}, shape {m.ZeroShotShape:F3} ({m.EvalImages} held-out images, seed {config.EvalSeed})");
            Console.WriteLine($"image->text recall@5 {m.RetrievalRecallAt5:F3} ({m.RetrievalImages} images)");
            Console.WriteLine($"wrote {result.Directory}: {string.Join(", ", result.Files.Select(Path.GetFileName))}");
            return 0;
        });
        build.Subcommands.Add(clip);
        zoo.Subcommands.Add(build);
        return zoo;
    }
}
