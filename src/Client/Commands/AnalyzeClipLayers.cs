using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using MMInterp.Client.Cli;
using MMInterp.Client.Platform;
using MMInterp.Grains.Contracts.Experiments;
using MMInterp.Grains.Contracts.Jobs;
using MMInterp.Grains.Registry;
using MMInterp.Kernels.Analyses;
using MMInterp.Kernels.Checkpoints;
using MMInterp.Kernels.Extraction;
using Spectre.Console;

namespace MMInterp.Client.Commands;

/// <summary>
/// `mminterp analyze clip-layers --model ID`: the CLIP study at every requested layer, through the cluster as the
/// quickstart runs it: one extraction job over every layer's hook (with the token selection), one SAE per hook
/// (TrainingRuns, the quickstart's recipe), one registered clip-study experiment per dictionary, then a table (one row
/// per layer, every figure beside its controls), clip-layers.json and clip-layers.png in --out.
/// </summary>
public static class AnalyzeClipLayers
{
    public const string TableFile = "clip-layers.json", ChartFile = "clip-layers.png";

    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "registered CLIP id or name, or a model directory (registered first)", Required = true };
        var layers = new Option<string>("--layers") { Description = "all (every block's resid_post and the pooled output) or a comma list of block indices, pooled and vision hook names", DefaultValueFactory = _ => "all" };
        var tokens = TokensOption.Create("which tokens of each image the SAEs train on and the studies count: all, patch or cls");
        var trainImages = new Option<int>("--train-images") { Description = "ShapesWorld training images extracted for the SAEs", DefaultValueFactory = _ => 2048 };
        var steps = new Option<int>("--sae-steps") { Description = "training steps of each layer's SAE", DefaultValueFactory = _ => 1500 };
        var seed = new Option<long>("--sae-seed") { Description = "seed of every layer's SAE", DefaultValueFactory = _ => 0 };
        var widthMultiplier = new Option<int>("--sae-width") { Description = "SAE features per input dimension", DefaultValueFactory = _ => 8 };
        var output = new Option<string>("--out") { Description = $"directory for {TableFile}, {ChartFile} and each layer's pictures (default: {OutputPaths.Shown("clip-layers")})", DefaultValueFactory = _ => OutputPaths.Under("clip-layers") };
        var db = DatabaseOption.Create();
        var command = new Command("clip-layers", "the CLIP study at every block and the pooled output: one SAE and one clip-study experiment per layer, "
                                                 + "a table of the figures beside their controls")
            { model, layers, tokens, trainImages, steps, seed, widthMultiplier, output, db };
        // The clip-study's own options (held-out images, steering and typographic sizes); tokens come from the dictionaries.
        var study = StudyOptions.Add(command, AnalysisCatalog.Get<ClipStudyAnalysis>().OptionSet, except: ["tokens"]);
        CliAction.Set(command, async (parse, ct) =>
        {
            var selection = TokensOption.Read(parse, tokens);
            var options = study.Read(parse);
            AnalysisCatalog.Get<ClipStudyAnalysis>().OptionSet.Check(options.ToJsonString());
            var images = parse.GetValue(trainImages);
            if (images < 16) throw new ArgumentException($"--train-images must be at least 16, got {images}");
            if (parse.GetValue(steps) < 1) throw new ArgumentException($"--sae-steps must be at least 1, got {parse.GetValue(steps)}");
            if (parse.GetValue(widthMultiplier) < 1) throw new ArgumentException($"--sae-width must be at least 1, got {parse.GetValue(widthMultiplier)}");
            var outDir = Path.GetFullPath(parse.GetValue(output)!);
            await using var session = await PlatformSession.OpenAsync(parse.GetValue(db), ct);
            var modelId = await StudyModels.ResolveAsync(session, parse.GetValue(model)!, ModelFamily.Clip, ct);
            var config = ClipDirectory.ReadConfig(await session.Models.DirectoryAsync(modelId, ModelFamily.Clip, ct));
            var hooks = ClipLayers.Hooks(parse.GetValue(layers)!, config.Vision.Tower.NumLayers, selection, out var note);
            if (note is not null) Console.WriteLine(note);
            Directory.CreateDirectory(outDir);

            // 1. Every layer in one extraction job: the images run through the tower once.
            var cluster = await session.ClusterAsync(ct);
            var extraction = new ExtractionJobSpec(modelId, hooks, DatasetSpec.Parse($"shapes:train:{images}"), Shards: Math.Min(4, images / 16), Tokens: selection.Stored()).Validated();
            var set = await ExtractCommand.RunAsync(session, CliIds.New("extract"), extraction, detach: false, ct)
                      ?? throw new InvalidOperationException("the extraction finished without an activation set");

            // 2. and 3. One SAE per hook, then the clip study on it (a registered experiment with its usual records).
            var rows = new List<ClipLayerRow>();
            foreach (var hook in hooks)
            {
                var layer = ClipLayers.LayerName(hook);
                Console.WriteLine($"layer {layer} ({hook}, {selection.Name()} tokens)");
                var sae = await QuickstartSae.TrainAsync(cluster, set.Id, hook, config.Vision.Tower.HiddenSize, parse.GetValue(widthMultiplier), parse.GetValue(steps), ct,
                    parse.GetValue(seed), Math.Min(512, images));
                var spec = new AnalysisSpec(ClipStudyAnalysis.Kind, modelId, sae.RunId, hook, options.ToJsonString());
                var figures = new Dictionary<string, double> { ["sae_l0"] = sae.Metrics["l0"], ["sae_fvu"] = sae.Metrics["fvu"] };
                try
                {
                    var done = await ExperimentRunner.RunAsync(session, $"analyze clip ({layer})", spec, Path.Combine(outDir, layer), ct);
                    foreach (var (name, value) in done.Figures) figures[name] = value;
                    rows.Add(new ClipLayerRow(layer, hook, selection.Name(), sae.RunId, done.Experiment.Id, figures));
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // One layer's failed study (recorded as such) leaves the others' rows standing; the exit code says so.
                    Console.Error.WriteLine($"layer {layer}: the study failed: {e.Message}");
                    rows.Add(new ClipLayerRow(layer, hook, selection.Name(), sae.RunId, null, figures) { Error = e.Message });
                }
            }

            // 4. The table, its JSON and the chart.
            var tablePath = Path.Combine(outDir, TableFile);
            var settings = new JsonObject
            {
                ["layers"] = parse.GetValue(layers), ["tokens"] = selection.Name(), ["train_images"] = images, ["sae_steps"] = parse.GetValue(steps),
                ["sae_seed"] = parse.GetValue(seed), ["sae_width"] = parse.GetValue(widthMultiplier), ["study_options"] = options.DeepClone(),
            };
            await File.WriteAllTextAsync(tablePath, ClipLayers.ToJson(rows, modelId, set.Id, settings), ct);
            var chartPath = Path.Combine(outDir, ChartFile);
            ClipLayersPng.Write(rows, $"{modelId}: the CLIP study by layer ({selection.Name()} tokens), figures beside their controls", chartPath);
            Print(rows);
            Console.WriteLine($"table: {tablePath}");
            Console.WriteLine($"chart: {chartPath}");
            return rows.Any(r => r.Error is not null) ? 1 : 0;
        });
        return command;
    }

    /// <summary>The table, a column per layer and a line per figure (each measure, then its controls marked "vs"), so the
    /// exact figure names fit any console; a figure is quoted as "{layer}.{figure}".</summary>
    static void Print(IReadOnlyList<ClipLayerRow> rows)
    {
        var table = new Table().AddColumn("figure");
        // Numbers never wrap: on a narrow console the figure names do.
        foreach (var row in rows) table.AddColumn(new TableColumn(row.Layer).RightAligned().NoWrap());
        void Line(string label, string figure) => table.AddRow(rows.Select(r => F(r[figure])).Prepend(label).Select(Markup.Escape).ToArray());
        foreach (var m in ClipLayers.Measures)
        {
            Line(m.Figure, m.Figure);
            foreach (var c in m.Controls) Line($"  vs {c}", c);
        }
        foreach (var c in ClipLayers.Context) Line(c, c);
        CliConsole.Out().Write(table);
        Console.WriteLine(string.Join("; ", rows.Select(r => $"{r.Layer}: {r.Hook}, {r.Tokens} tokens, dictionary {r.DictionaryId}, {(r.Error is null ? $"experiment {r.ExperimentId}" : $"study failed: {r.Error}")}")));
    }

    static string F(double v) => double.IsFinite(v) ? v.ToString("F3", CultureInfo.InvariantCulture) : "n/a";
}
