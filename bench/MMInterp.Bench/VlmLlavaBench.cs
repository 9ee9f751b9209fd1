using System.Diagnostics;
using System.Globalization;
using MMInterp.Kernels.Zoo;

namespace MMInterp.Bench;

/// <summary>`vlm-llava-train OUT [--seed S] [--steps N]`: builds the vlm-zoo/6 recipe (the zoo VLM on LLaVA's
/// architecture) in-process on the shipped zoo CLIP, as the zoo grain does, without the platform; prints its figures.</summary>
public static class VlmLlavaBench
{
    public static int Train(string[] args)
    {
        if (args.Length < 1) { Console.Error.WriteLine("usage: MMInterp.Bench vlm-llava-train OUT [--seed S] [--steps N] [--lr X]"); return 2; }
        string? Arg(string name) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? args[i + 1] : null;
        var d = VlmZooConfig.Llava;
        var config = (d with
        {
            Seed = long.Parse(Arg("--seed") ?? "0", CultureInfo.InvariantCulture),
            Steps = int.Parse(Arg("--steps") ?? d.Steps.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture),
            LearningRate = double.Parse(Arg("--lr") ?? d.LearningRate.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture),
        }).Validate();
        var clipDir = Path.Combine(args[0], "clip");
        if (ShippedClip.TryRestore(config.Clip, clipDir) is null) { Console.Error.WriteLine("the recipe's CLIP is not the shipped one"); return 1; }
        var clock = Stopwatch.StartNew();
        var result = new LlavaZooTrainer(config).Build(Path.Combine(args[0], "model"), (p, note) => Console.WriteLine($"{p:F2} {note}"), clipDirectory: clipDir);
        var m = result.Metrics;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"figure vlm_answer_accuracy: {m.Overall:F3} (colour {m.Colour:F3}, shape {m.Shape:F3}; seed {config.Seed}, {clock.Elapsed.TotalMinutes:F1} min)"));
        Console.WriteLine("by type: " + string.Join(", ", m.AccuracyByType.Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.Key} {p.Value:F3}"))));
        if (m.TwoObjectAccuracyByType is { } two)
            Console.WriteLine("two-object scenes: " + string.Join(", ", two.Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.Key} {p.Value:F3}"))));
        return 0;
    }
}
