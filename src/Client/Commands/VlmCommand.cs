using System.CommandLine;
using System.Globalization;
using MMInterp.Client.Cli;
using MMInterp.Client.Platform;
using MMInterp.Grains.Registry;
using MMInterp.Kernels.Artefacts;
using MMInterp.Kernels.Checkpoints;
using MMInterp.Kernels.Interp.Vlm;
using MMInterp.Kernels.ShapesWorld;
using MMInterp.Kernels.Tensors;
using TorchSharp;

namespace MMInterp.Client.Commands;

/// <summary>`mminterp vlm trace|knockout|logit-lens|steer --model ID --out DIR`: the VLM analyses on held-out questions, each
/// headline number printed beside its control, PNGs and a figures JSON written to DIR.</summary>
public static class VlmCommand
{
    public static Command Create()
    {
        var vlm = new Command("vlm", "interpretability of a tiny VLM: causal tracing, attention knockout, logit lens, steering through the vision encoder");
        vlm.Subcommands.Add(Analysis("trace", "causal tracing: corrupt the image tokens, restore one (layer, position) state at a time", Trace));
        vlm.Subcommands.Add(Analysis("knockout", "attention knockout: block the answer position from image / object / random tokens", Knockout));
        vlm.Subcommands.Add(Analysis("logit-lens", "decode every layer's visual-token states through the LM unembedding", Lens));
        vlm.Subcommands.Add(VlmSteerCommand.Create());
        return vlm;
    }

    sealed record Inputs(LoadedVlm Vlm, VlmPrompts Prompts, string Out, string Type, int Seed);

    static Command Analysis(string name, string description, Func<Inputs, int> run)
    {
        var command = new Command(name, description);
        var model = new Option<string>("--model") { Description = "registered VLM id, or a VLM directory", Required = true };
        var output = new Option<string>("--out") { Description = "directory for the PNGs and figures JSON", DefaultValueFactory = _ => $"vlm-{name}" };
        var prompts = new Option<int>("--prompts") { Description = "questions analysed (answered correctly, held-out split)", DefaultValueFactory = _ => 16 };
        var type = new Option<string>("--type") { Description = "question type: colour, shape, size, position or fill", DefaultValueFactory = _ => "colour" };
        var split = new Option<string>("--split") { Description = "ShapesWorld split the questions come from", DefaultValueFactory = _ => "val" };
        var seed = new Option<int>("--seed") { Description = "noise / control seed", DefaultValueFactory = _ => 0 };
        var threads = new Option<int>("--threads") { Description = "CPU threads", DefaultValueFactory = _ => 1 };
        var db = DatabaseOption.Create();
        foreach (var o in new Option[] { db, model, output, prompts, type, split, seed, threads }) command.Options.Add(o);
        CliAction.Set(command, async (parse, ct) =>
        {
            torch.set_num_threads(parse.GetValue(threads));
            var loaded = await LoadAsync(parse.GetValue(model)!, parse.GetValue(db), ct);
            using (loaded.Model)
            {
                using var set = VlmPrompts.Build(loaded.Model, loaded.Vocabulary, ShapesSplits.Seed(parse.GetValue(split)!), parse.GetValue(prompts), parse.GetValue(type)!);
                Console.WriteLine($"{set.Count} '{parse.GetValue(type)}' questions answered correctly, e.g. '{set.Questions[0].Question}' -> {set.Questions[0].Answer}");
                return run(new Inputs(loaded, set, parse.GetValue(output)!, parse.GetValue(type)!, parse.GetValue(seed)));
            }
        });
        return command;
    }

    /// <summary>A directory holding vlm_config.json loads directly; anything else is a registry id (family vlm).</summary>
    internal static async Task<LoadedVlm> LoadAsync(string model, string? database, CancellationToken ct)
    {
        if (Directory.Exists(model) && VlmCheckpoint.IsVlmDirectory(model)) return VlmCheckpoint.Load(model);
        await using var session = await PlatformSession.OpenAsync(database, ct);
        if (await session.Registry.Models.GetAsync(model, ct) is null) throw new ArgumentException($"model '{model}' is not registered (and is not a VLM directory)");
        return VlmCheckpoint.Load(await session.Models.DirectoryAsync(model, ModelFamily.Vlm, ct, "these analyses need a VLM (mminterp zoo build vlm)"));
    }

    static string F(double v) => v.ToString("F3", CultureInfo.InvariantCulture);

    static int Trace(Inputs x)
    {
        var result = CausalTracing.Run(x.Vlm.Model, x.Prompts, new TracingOptions { Seed = x.Seed });
        var world = new ShapesWorldGenerator(new ShapesWorldConfig { ImageSize = x.Vlm.Model.Config.Vision.ImageSize });
        var files = VlmFigures.WriteTracing(x.Out, result, x.Prompts, world);
        var json = VlmFigures.WriteJson(x.Out, "tracing.json", new
        {
            figures = VlmHeadlines.Tracing(result),
            noise = new { std = result.NoiseStd, multiple_of_clean_image_token_std = result.NoiseMultiple },
            question_type = x.Type, prompts = x.Prompts.Count,
            maps = result.Maps.ToDictionary(m => m.Key, m => new { rows = m.Value.Rows, by_region = ToJagged(VlmFigures.ByRegion(m.Value, result)) }),
        });
        Console.WriteLine($"noise std {F(result.NoiseStd)} ({result.NoiseMultiple}x the clean image-token std); p(answer) clean {F(result.MeanClean)}, corrupted {F(result.MeanCorrupt)}");
        Console.WriteLine($"figure tracing_object_share: {F(result.ObjectShare)} (random tokens: {F(result.ChanceShare)})");
        Console.WriteLine($"restoring the object's tokens at the LM input: p {F(result.RestoreObjectProb)}; as many random non-object tokens: p {F(result.RestoreRandomProb)}");
        Console.WriteLine($"wrote {string.Join(", ", files.Select(Path.GetFileName))} and {Path.GetFileName(json)} to {Path.GetFullPath(x.Out)}");
        return 0;
    }

    static int Knockout(Inputs x)
    {
        var result = AttentionKnockout.Run(x.Vlm.Model, x.Prompts, seed: x.Seed);
        var json = VlmFigures.WriteJson(x.Out, "knockout.json", new { figures = VlmHeadlines.Knockout(result), clean_prob = result.CleanProb, rows = result.Rows, question_type = x.Type });
        Console.WriteLine($"clean: accuracy {F(result.CleanAccuracy)}, p(answer) {F(result.CleanProb)}");
        Console.WriteLine("layers  target  accuracy  p(answer)  drop");
        foreach (var r in result.Rows) Console.WriteLine($"{r.Layers,-7} {r.Target,-7} {F(r.Accuracy),8} {F(r.AnswerProb),10} {F(r.ProbDrop),6}");
        var obj = result.Row("object", "all");
        var random = result.Row("random", "all");
        Console.WriteLine($"figure knockout_object_drop: {F(obj.ProbDrop)} (random non-object tokens: {F(random.ProbDrop)}; all image tokens: {F(result.Row("image", "all").ProbDrop)})");
        Console.WriteLine($"wrote {Path.GetFileName(json)} to {Path.GetFullPath(x.Out)}");
        return 0;
    }

    static int Lens(Inputs x)
    {
        var result = LogitLens.Run(x.Vlm.Model, x.Vlm.Vocabulary, x.Prompts);
        var world = new ShapesWorldGenerator(new ShapesWorldConfig { ImageSize = x.Vlm.Model.Config.Vision.ImageSize });
        var png = VlmFigures.WriteLogitLens(x.Out, result, x.Prompts, world);
        var json = VlmFigures.WriteJson(x.Out, "logit_lens.json", new { top_k = result.TopK, rows = result.Rows, question_type = x.Type });
        Console.WriteLine($"top-{result.TopK} lens words on the asked-about object's patches vs on other patches:");
        Console.WriteLine("layer     colour(obj) colour(other) shape(obj) shape(other)  answer rank  commonest word on object");
        foreach (var r in result.Rows)
            Console.WriteLine($"{r.Layer,-9} {F(r.ObjectColourTopK),11} {F(r.OtherColourTopK),13} {F(r.ObjectShapeTopK),10} {F(r.OtherShapeTopK),12} {r.AnswerRank,12:F2}  {r.CommonObjectWord}");
        Console.WriteLine($"wrote {Path.GetFileName(png)}, logit_lens_table.png and {Path.GetFileName(json)} to {Path.GetFullPath(x.Out)}");
        return 0;
    }

    static double[][] ToJagged(double[,] m) =>
        Enumerable.Range(0, m.GetLength(0)).Select(r => Enumerable.Range(0, m.GetLength(1)).Select(c => m[r, c]).ToArray()).ToArray();
}
