using System.CommandLine;
using System.Text.Json;
using MMInterp.Client.Cli;
using MMInterp.Kernels.Interp.Diffusion;
using MMInterp.Kernels.Plots;
using Spectre.Console;

namespace MMInterp.Client.Commands;

/// <summary>
/// `mminterp models sample DIR --prompt P [--prompt P2 ...] [--steps N] [--guidance G] [--seed S] --out FILE.png`: what a
/// text-to-image directory draws for your prompts (a diffusers SD/SDXL pipeline, the zoo U-Net or the zoo DiT;
/// <see cref="DirectorySampler"/>), one labelled row per prompt in one PNG. A local check; nothing is registered.
/// </summary>
public static class ModelsSampleCommand
{
    public static Command Create(Option<bool> json, IAnsiConsole? console)
    {
        var dir = new Argument<string>("dir") { Description = "a diffusers pipeline directory (model_index.json), or a zoo U-Net or DiT directory" };
        var prompts = new Option<string[]>("--prompt") { Description = "a prompt (repeat for more; \"\" is the unconditional image)", Required = true, AllowMultipleArgumentsPerToken = false };
        var steps = new Option<int?>("--steps") { Description = "sampling steps (default: the pipeline's 50, or the zoo recipe's)" };
        var guidance = new Option<double?>("--guidance") { Description = "classifier-free guidance scale (default: 7.5 for a pipeline, the zoo recipe's otherwise)" };
        var seed = new Option<long>("--seed") { Description = "seed of the initial noise", DefaultValueFactory = _ => 0 };
        var output = new Option<string>("--out") { Description = "the PNG to write", Required = true };
        var command = new Command("sample", "draw images for prompts with a text-to-image directory (local; registers nothing)") { dir, prompts, steps, guidance, seed, output };
        CliAction.Set(command, async (parse, ct) =>
        {
            var list = parse.GetValue(prompts)!;
            if (list.Length > 64) throw new ArgumentException($"--prompt: at most 64 prompts per run, got {list.Length}");
            if (parse.GetValue(steps) is { } n && n is < 1 or > 1000) throw new ArgumentException($"--steps must be in 1..1000, got {n}");
            if (parse.GetValue(guidance) is { } g && !(g >= 0 && g <= 50)) throw new ArgumentException($"--guidance must be in [0, 50], got {g}");
            var path = Path.GetFullPath(parse.GetValue(output)!);
            if (!path.EndsWith(".png", StringComparison.OrdinalIgnoreCase)) throw new ArgumentException($"--out must name a .png file, got {path}");
            var sampled = await CliAction.WithProgress("sampling", report =>
                Task.Run(() => DirectorySampler.Sample(parse.GetValue(dir)!, list, parse.GetValue(steps), parse.GetValue(guidance), parse.GetValue(seed), (p, note) => report(p, note), ct), ct));
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            var labels = sampled.Prompts.Select(p => p.Length == 0 ? "(unconditional)" : p.Length > 60 ? p[..57] + "..." : p).ToList();
            ImageGridPng.Write(path, sampled.Images.Select(i => (IReadOnlyList<float[]?>)[i]).ToList(), sampled.Size, labels, [$"seed {sampled.Seed}"],
                $"{sampled.Kind}: {sampled.Steps} steps, guidance {sampled.Guidance}", scale: Math.Max(1, 128 / sampled.Size));
            var o = CliConsole.Out(console);
            if (parse.GetValue(json))
                o.Profile.Out.Writer.WriteLine(JsonSerializer.Serialize(new { kind = sampled.Kind, size = sampled.Size, steps = sampled.Steps, guidance = sampled.Guidance, seed = sampled.Seed, png = path }));
            else o.WriteLine($"{sampled.Kind}: {sampled.Prompts.Count} images of {sampled.Size}x{sampled.Size}, {sampled.Steps} steps, guidance {sampled.Guidance}, seed {sampled.Seed}: {path}");
            return 0;
        });
        return command;
    }
}
