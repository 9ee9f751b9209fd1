using System.Diagnostics;
using System.Globalization;
using MMInterp.Kernels.Checkpoints;
using MMInterp.Kernels.Interp.Vlm;
using MMInterp.Kernels.ShapesWorld;
using MMInterp.Kernels.Zoo;

namespace MMInterp.Bench;

/// <summary>`vlm-llava-train OUT [--seed S] [--steps N] [--recipe 6]`: builds the zoo LLaVA recipe (vlm-zoo/7; vlm-zoo/6
/// with --recipe 6) (the zoo VLM on LLaVA's
/// architecture) in-process on the shipped zoo CLIP, as the zoo grain does, without the platform; prints its figures.</summary>
public static class VlmLlavaBench
{
    public static int Train(string[] args)
    {
        if (args.Length < 1) { Console.Error.WriteLine("usage: MMInterp.Bench vlm-llava-train OUT [--seed S] [--steps N] [--lr X]"); return 2; }
        string? Arg(string name) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? args[i + 1] : null;
        var d = Arg("--recipe") == "6" ? VlmZooConfig.LlavaV6 : VlmZooConfig.Llava;
        var config = (d with
        {
            Seed = long.Parse(Arg("--seed") ?? "0", CultureInfo.InvariantCulture),
            Steps = int.Parse(Arg("--steps") ?? d.Steps.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture),
            LearningRate = double.Parse(Arg("--lr") ?? d.LearningRate.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture),
            EvalSeed = long.Parse(Arg("--eval-seed") ?? d.EvalSeed.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture),
            PatchFill = args.Contains("--patch-fill") || d.PatchFill,
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

    /// <summary>`vlm-llava-eval DIR SEED [IMAGES]`: answer accuracy of a zoo VLM directory (either kind) on a ShapesWorld seed.</summary>
    public static int Eval(string[] args)
    {
        var loaded = ZooLlavaCheckpoint.LoadShapes(args[0]);
        using var model = loaded.Model;
        TorchSharp.torch.set_num_threads(1);
        var images = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 512;
        var m = Kernels.Models.Vlm.VlmEvaluator.Evaluate(model, loaded.Vocabulary, long.Parse(args[1], CultureInfo.InvariantCulture), images,
            new ShapesWorldConfig { ImageSize = model.ImageSize });
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"accuracy {m.Overall:F3} on seed {args[1]} ({images} images); ") +
            string.Join(", ", m.AccuracyByType.Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.Key} {p.Value:F3}"))));
        return 0;
    }

    /// <summary>`vlm-llava-study DIR [--type colour] [--prompts 16] [--seed 0] [--split val] [--steer]`: the tracing and
    /// knockout parts of `analyze vlm` (same kernels, same defaults) on a zoo VLM directory of either kind, without the
    /// platform; with --steer also `vlm steer --train-sae`'s kernels (a TopK SAE on vision.blocks.0.hook_resid_post, its
    /// defaults).</summary>
    public static int Study(string[] args)
    {
        if (args.Length < 1) { Console.Error.WriteLine("usage: MMInterp.Bench vlm-llava-study DIR [--type T] [--prompts N] [--seed S] [--split val|test]"); return 2; }
        string? Arg(string name) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? args[i + 1] : null;
        var type = Arg("--type") ?? "colour";
        var count = int.Parse(Arg("--prompts") ?? "16", CultureInfo.InvariantCulture);
        var seed = long.Parse(Arg("--seed") ?? "0", CultureInfo.InvariantCulture);
        var split = Arg("--split") ?? "val";
        TorchSharp.torch.set_num_threads(1);
        var clock = Stopwatch.StartNew();
        var loaded = ZooLlavaCheckpoint.LoadShapes(args[0]);
        using var model = loaded.Model;
        using var prompts = VlmPrompts.Build(model, loaded.Vocabulary, ShapesSplits.Seed(split), count, type);
        Console.WriteLine($"{model.GetType().Name}: {prompts.Count} '{type}' prompts from split {split}, e.g. {prompts.Questions[0].Question} -> {prompts.Questions[0].Answer}");
        var tracing = CausalTracing.Run(model, prompts, new TracingOptions { Seed = seed });
        foreach (var (name, value) in VlmHeadlines.Tracing(tracing)) Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"figure {name}: {value:F3}"));
        var knockout = AttentionKnockout.Run(model, prompts, seed: seed);
        foreach (var (name, value) in VlmHeadlines.Knockout(knockout)) Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"figure {name}: {value:F3}"));
        var lens = LogitLens.Run(model, loaded.Vocabulary, prompts);
        Console.WriteLine("logit lens (row: object colour in top-5 vs other patches; answer rank): " + string.Join("; ",
            lens.Rows.Select(r => string.Create(CultureInfo.InvariantCulture, $"{r.Layer} {r.ObjectColourTopK:F2}/{r.OtherColourTopK:F2} rank {r.AnswerRank:F1}"))));
        if (args.Contains("--steer"))
        {
            var config = VlmSteeringConfig.Default.Validate();
            var (sae, fvu) = VlmVisionSae.Train(model, config.Hook, new VlmVisionSaeOptions().Validate());
            using var _sae = sae;
            var steering = VlmSteering.Run(model, loaded.Vocabulary, sae, config, (_, _) => { });
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"figure vlm_steering_success: {steering.Success:F3} (random direction {steering.RandomControl:F3}; unsteered {steering.Baseline:F3}; clean accuracy {steering.CleanAccuracy:F3}; SAE FVU {fvu:F3}, {steering.Trials} trials)"));
        }
        Console.WriteLine($"({clock.Elapsed.TotalMinutes:F1} min)");
        return 0;
    }
}
