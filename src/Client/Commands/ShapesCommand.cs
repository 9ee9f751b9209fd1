using System.CommandLine;
using MMInterp.Client.Cli;
using MMInterp.Kernels.Plots;
using MMInterp.Kernels.ShapesWorld;

namespace MMInterp.Client.Commands;

/// <summary>`mminterp shapes render`: a labelled grid PNG of ShapesWorld scenes, to check the world by eye.</summary>
public static class ShapesCommand
{
    public static Command Create()
    {
        var command = new Command("shapes", "the built-in ShapesWorld");
        var render = new Command("render", "write a labelled grid PNG of ShapesWorld images");
        var n = new Option<int>("--n") { Description = "number of images", DefaultValueFactory = _ => 16 };
        var output = new Option<string>("--out") { Description = $"PNG path (default: {OutputPaths.Shown("shapes.png")})", DefaultValueFactory = _ => OutputPaths.Under("shapes.png") };
        var seed = new Option<long>("--seed") { Description = "split seed", DefaultValueFactory = _ => 0 };
        var start = new Option<long>("--start") { Description = "first scene index", DefaultValueFactory = _ => 0 };
        var overlay = new Option<double>("--overlay-rate") { Description = "share of images with a word", DefaultValueFactory = _ => 0.25 };
        var attack = new Option<double>("--attack-rate") { Description = "share of words that are wrong", DefaultValueFactory = _ => 0.5 };
        var size = new Option<int>("--image-size") { Description = "image side in pixels", DefaultValueFactory = _ => 32 };
        render.Options.Add(n); render.Options.Add(output); render.Options.Add(seed); render.Options.Add(start);
        render.Options.Add(overlay); render.Options.Add(attack); render.Options.Add(size);
        CliAction.Set(render, (parse, _) =>
        {
            var count = parse.GetValue(n);
            if (count < 1 || count > 1024) throw new ArgumentException($"--n must be in [1, 1024], got {count}");
            var world = new ShapesWorldGenerator(new ShapesWorldConfig
            {
                ImageSize = parse.GetValue(size), OverlayRate = parse.GetValue(overlay), AttackRate = parse.GetValue(attack),
            });
            var s = parse.GetValue(seed);
            var first = parse.GetValue(start);
            var scenes = Enumerable.Range(0, count).Select(i => world.Scene(s, first + i)).ToList();
            var path = parse.GetValue(output)!;
            ShapesGridPng.Write(world, scenes, path, columns: Math.Min(4, count));
            Console.WriteLine($"wrote {count} scenes (seed {s}, from index {first}) to {path}");
            foreach (var scene in scenes.Take(4)) Console.WriteLine($"  #{scene.Index}: {scene.Caption}");
            return Task.FromResult(0);
        });
        command.Subcommands.Add(render);
        return command;
    }
}
