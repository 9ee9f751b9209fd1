using System.CommandLine;
using MMInterp.Client.Cli;
using MMInterp.Kernels.Checkpoints;
using MMInterp.Kernels.Plots;
using MMInterp.Kernels.Probes;
using MMInterp.Kernels.ShapesWorld;

namespace MMInterp.Client.Commands;

/// <summary>`mminterp probe`: linear probes for ShapesWorld attributes at every block of a CLIP's vision tower.</summary>
public static class ProbeCommand
{
    public static Command Create()
    {
        var command = new Command("probe", "held-out linear-probe accuracy per block for ShapesWorld attributes");
        var model = new Option<string>("--model") { Description = "HF-format CLIP directory (e.g. from `zoo build clip`)", Required = true };
        var attribute = new Option<string>("--attribute") { Description = "comma-separated: colour, shape, size, position, fill", DefaultValueFactory = _ => "colour" };
        var hook = new Option<string>("--hook") { Description = "resid_post, resid_pre, resid_mid, attn.hook_z or mlp.hook_post", DefaultValueFactory = _ => "resid_post" };
        var position = new Option<string>("--position") { Description = "cls or mean", DefaultValueFactory = _ => "cls" };
        var train = new Option<int>("--train-images") { Description = "probe training images", DefaultValueFactory = _ => 1024 };
        var output = new Option<string>("--out") { Description = "PNG plot path", DefaultValueFactory = _ => "probe.png" };
        foreach (var o in new Option[] { model, attribute, hook, position, train, output }) command.Options.Add(o);
        CliAction.Set(command, async (parse, _) =>
        {
            var config = new ProbeSweepConfig
            {
                Attributes = parse.GetValue(attribute)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                    .Select(AttributeWords.ParseAttribute).Distinct().ToList(),
                Hook = parse.GetValue(hook)!, Position = parse.GetValue(position)!, TrainImages = parse.GetValue(train),
            }.Validate();
            var loaded = ClipCheckpoint.Load(parse.GetValue(model)!);
            using var clip = loaded.Model;
            var result = await CliAction.WithProgress("probes", report => Task.Run(() => ProbeSweep.Run(clip, config, (p, n) => report(p, n))));
            Console.WriteLine($"{"block",-6} {string.Join(" ", result.Accuracy.Keys.Select(a => $"{a.ToString().ToLowerInvariant(),9}"))}");
            for (var i = 0; i < result.HookNames.Count; i++)
                Console.WriteLine($"{i,-6} {string.Join(" ", result.Accuracy.Values.Select(v => $"{v[i],9:F3}"))}");
            Console.WriteLine($"chance {string.Join(" ", result.Accuracy.Keys.Select(a => $"{ProbeSweepResult.Chance(a),9:F3}"))}");
            var path = parse.GetValue(output)!;
            ProbePlotPng.Write(result, path);
            Console.WriteLine($"hooks {result.HookNames[0]} .. {result.HookNames[^1]} ({config.Position}); plot written to {path}");
            return 0;
        });
        return command;
    }
}
