using System.CommandLine;
using System.Globalization;
using MMInterp.Client.Cli;
using MMInterp.Client.Platform;
using MMInterp.Client.Reports;
using MMInterp.Grains.Contracts.Experiments;
using MMInterp.Grains.Contracts.Jobs;
using MMInterp.Kernels.Extraction;
using MMInterp.Kernels.Plots;
using MMInterp.Kernels.Sae;
using MMInterp.Kernels.Sae.Training;
using MMInterp.Kernels.ShapesWorld;
using MMInterp.Kernels.Zoo;

namespace MMInterp.Client.Commands;

/// <summary>
/// `mminterp quickstart`: the whole CLIP path on the embedded default. Renders a labelled grid, builds (or reuses)
/// the tiny CLIP, extracts vision-tower activations through the cluster, trains a ReLU SAE on them, runs the CLIP
/// study as an experiment (ground truth, free labels, steering, typographic attack) and writes report.html (and a
/// short report.md) with the figures beside their controls and the pictures.
/// </summary>
public static class QuickstartCommand
{
    public static Command Create()
    {
        var quick = new Option<bool>("--quick") { Description = "a small, fast configuration (smoke test): a few hundred zoo steps and a short SAE run" };
        var output = new Option<string>("--out") { Description = $"report directory (default: {OutputPaths.Shown("quickstart")})", DefaultValueFactory = _ => OutputPaths.Under("quickstart") };
        var db = DatabaseOption.Create();
        var command = new Command("quickstart", "run the CLIP path end to end: zoo -> extract -> SAE -> labels -> steering -> attack -> report "
                                                + "(with --model DIR --images SPEC: on your own CLIP and images)") { quick, output, db };
        var own = QuickstartOwn.Add(command);
        CliAction.Set(command, async (parse, ct) =>
        {
            var isQuick = parse.GetValue(quick);
            var outDir = Path.GetFullPath(parse.GetValue(output)!);
            Directory.CreateDirectory(outDir);
            if (parse.GetValue(own.Model) is not null || parse.GetValue(own.Images) is not null)
            {
                await using var ownSession = await PlatformSession.OpenAsync(parse.GetValue(db), ct);
                return await QuickstartOwn.RunAsync(ownSession, parse, own, isQuick, outDir, ct);
            }
            if (parse.GetValue(own.Vocabulary.Vocab) is not null)
                throw new ArgumentException("--vocab applies to your own model and images: add --model DIR --images SPEC");
            var report = new List<string> { "# MMInterp quickstart", "" };
            var html = new HtmlReport("MMInterp quickstart: the CLIP path on ShapesWorld");

            await using var session = await PlatformSession.OpenAsync(parse.GetValue(db), ct);
            Console.WriteLine($"platform: database {Describe(session.ConnectionString)}, artefacts {session.Work.ArtefactRoot}");

            // 1. The world, as a person can check it.
            var grid = Path.Combine(outDir, "shapes-grid.png");
            var world = new ShapesWorldGenerator();
            ShapesGridPng.Write(world, Enumerable.Range(0, 16).Select(i => world.Scene(ShapesSplits.Val, i)).ToList(), grid);
            report.Add($"![ShapesWorld sample](shapes-grid.png)");
            html.Heading("1. ShapesWorld").Paragraph("Held-out scenes with their ground truth; every figure below is scored against it.")
                .Image("shapes-grid.png", "ShapesWorld sample (validation split)");

            // 2. The tiny CLIP, trained once per config and cached in the artefact store.
            var zooConfig = isQuick
                ? ClipZooConfig.Default with { Steps = 200, BatchSize = 64, LearningRate = 3e-3, ShapeFirstFraction = 0, ShapeFamilySize = 2, VisionWidth = 32, TextWidth = 32, ProjectionDim = 32, VisionLayers = 3, EvalImages = 128 }
                : ClipZooConfig.Default;
            var zoo = await CliAction.WithProgress("zoo: tiny CLIP", r => ZooCatalog.EnsureClipAsync(session, zooConfig, (p, n) => r(p, n), ct));
            var colour = zoo.Metric("ZeroShotColour");
            var shape = zoo.Metric("ZeroShotShape");
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"model {zoo.Model.Id}{(zoo.Cached ? " (cached)" : "")}: zero-shot colour {colour:F3}, shape {shape:F3}"));
            report.Add(string.Create(CultureInfo.InvariantCulture, $"- model `{zoo.Model.Id}`: zero-shot colour {colour:F3}, shape {shape:F3} (held-out seed)"));
            html.Heading("2. Tiny CLIP").Paragraph($"Model {zoo.Model.Id}{(zoo.Cached ? " (cached)" : "")}, zero-shot accuracy on a held-out seed with caption prompts.")
                .Figures([("clip_zero_shot_colour", colour, "chance 0.125"), ("clip_zero_shot_shape", shape, "chance 0.167"),
                    ("retrieval_recall_at_5", zoo.Metric("RetrievalRecallAt5"), "image -> text"),
                    ("clip_attack_drop", AttackMetric(zoo, "AttackDrop"), "zero-shot accuracy lost to a wrong word on held-out scenes"),
                    ("clip_attack_reading_part", AttackMetric(zoo, "ReadingPart"), "of that, against the true word at the same place (reading, not ink)")]);

            // 3. Activations at the layer QuickstartLayer names (and why), sharded over the cluster.
            var cluster = await session.ClusterAsync(ct);
            var layer = QuickstartLayer.Current;
            var hook = layer.Hook(zooConfig.VisionLayers);
            var images = isQuick ? 256 : 2048;
            var jobId = CliIds.New("extract");
            var job = cluster.GetGrain<IExtractionJobGrain>(jobId);
            await job.Start(new ExtractionJobSpec(zoo.Model.Id, [hook], DatasetSpec.Parse($"shapes:train:{images}"), Shards: 4, Tokens: layer.Tokens.Stored()));
            var extracted = await JobWatcher.FollowAsync("extract", job.Status, ct);
            var set = (await session.Registry.ActivationSets.GetAsync(extracted.ActivationSetId!, ct))!;
            Console.WriteLine($"activation set {set.Id}: {set.RowCount} rows of {hook} ({layer.Tokens.Name()} tokens): {layer.Why}");
            report.Add($"- activation set `{set.Id}`: {set.RowCount} token activations at `{hook}` ({layer.Tokens.Name()} tokens) from {images} images, {set.ShardCount} shards");
            report.Add($"- layer: {layer.Why}");

            // 4. A ReLU + L1 SAE on them (inputs normalised): on clip-zoo/3 a TopK SAE (k 16) of the same width spent its
            // features on the background (bench/RESULTS.md, CLIP SAE study).
            var (runId, sae, steps, m) = await QuickstartSae.TrainAsync(cluster, set.Id, hook, zooConfig.VisionWidth, 8, isQuick ? 150 : 1500, ct,
                batchSize: Math.Min(512, images));
            report.Add(string.Create(CultureInfo.InvariantCulture,
                $"- SAE `{runId}` (ReLU + L1, normalised inputs, d_sae={sae.DSae}, {steps} steps): L0 {m["l0"]:F1}, FVU {m["fvu"]:F3}, dead features {m["dead_fraction"]:P1}"));
            html.Heading("3. Activations and SAE")
                .Paragraph($"Activation set {set.Id}: {set.RowCount} token activations at {hook} ({layer.Tokens.Name()} tokens) from {images} images in {set.ShardCount} shards; the layer: {layer.Why}. SAE {runId}: ReLU + L1 on normalised inputs, d_sae={sae.DSae}, {steps} steps.")
                .Figures([("sae_l0", m["l0"], "active features per token"), ("sae_fvu", m["fvu"], "fraction of variance unexplained"),
                    ("sae_dead_fraction", m["dead_fraction"], "")]);

            var fvu = await session.Registry.Metrics.ReadAsync(runId, "fvu", ct: ct);
            if (fvu.Count > 1)
            {
                CurvePng.Write(Path.Combine(outDir, "sae-fvu.png"), fvu.Select(p => ((double)p.Step, p.Value)).ToList(), $"SAE {runId}: FVU by step", "step", "FVU");
                report.Add("");
                report.Add("![FVU during training](sae-fvu.png)");
                html.Image("sae-fvu.png", "SAE FVU by step");
            }

            // 5. The CLIP study on that SAE, as a registered experiment: labels, ground truth, steering, attack.
            var options = isQuick
                ? """{"images": 256, "dashboards": 6, "steer_features": 8, "steer_images": 16, "typographic_images": 64, "typographic_calibration_images": 64, "typographic_candidates": 16}"""
                : """{"images": 1024, "dashboards": 16, "steer_features": 48, "steer_images": 64, "typographic_images": 256}""";
            var study = await ExperimentRunner.RunAsync(session, "analyze clip", new AnalysisSpec("clip-study", zoo.Model.Id, runId, hook, options),
                outDir, ct);
            AnalyzeCommand.Print(study);
            report.Add(string.Create(CultureInfo.InvariantCulture,
                $"- experiment `{study.Experiment.Id}`: concept recovery {study.Figure("concept_recovery"):F3}, free-label accuracy {study.Figure("free_label_accuracy"):F3}, steerable share {study.Figure("steerable_share"):F3} (random {study.Figure("steerable_share_random"):F3}; ratio {study.Figure("steerable_ratio_to_random"):F1}x, 95% {study.Figure("steerable_ratio_low"):F1}-{study.Figure("steerable_ratio_high"):F1}x)"));
            await StudySection.AddAsync(html, session, study, runId, outDir, ct);
            report.Add("");
            report.Add("Everything above is registered: `mminterp registry list models|activations|dictionaries|runs`.");
            await File.WriteAllLinesAsync(Path.Combine(outDir, "report.md"), report, ct);
            html.Paragraph("Everything above is registered: mminterp registry list models|activations|dictionaries|runs|experiments, or mminterp serve.");
            var reportPath = Path.Combine(outDir, "report.html");
            html.Write(reportPath);
            Console.WriteLine($"report: {reportPath}");
            return 0;
        });
        return command;
    }

    static double AttackMetric(ZooCatalog.ZooModel zoo, string name) => zoo.Metrics?["Attack"]?[name]?.GetValue<double>() ?? double.NaN;

    static string Describe(string cs)
    {
        var b = new Npgsql.NpgsqlConnectionStringBuilder(cs);
        return $"{b.Host}:{b.Port}/{b.Database}";
    }
}
