using System.CommandLine;
using System.Globalization;
using MMInterp.Client.Cli;
using MMInterp.Kernels.Checkpoints;
using MMInterp.Kernels.Tensors;
using MMInterp.Kernels.Zoo;

namespace MMInterp.Client.Commands;

/// <summary>`mminterp diffusion train|temporal|heads|lens`: the tiny text-to-image model on directories, no registry.</summary>
public static class DiffusionCommand
{
    public static Command Create()
    {
        var command = new Command("diffusion", "tiny text-to-image diffusion: train, temporal probes, head roles/ablations, steering lens");
        command.Subcommands.Add(Train());
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
