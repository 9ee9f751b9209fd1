using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using MMInterp.Client.Cli;
using MMInterp.Client.Platform;
using MMInterp.Client.Reports;
using MMInterp.Grains.Contracts.Experiments;
using MMInterp.Grains.Contracts.Jobs;
using MMInterp.Grains.Registry;
using MMInterp.Kernels.Checkpoints;
using MMInterp.Kernels.Datasets;
using MMInterp.Kernels.Interp.Features;
using MMInterp.Kernels.Sae;
using MMInterp.Kernels.Sae.Training;
using MMInterp.Kernels.Text;
using MMInterp.Silo.Work;
using MMInterp.Kernels.Analyses;

namespace MMInterp.Client.Commands;

/// <summary>
/// `mminterp quickstart --model DIR --images SPEC [--vocab FILE|imagenet|dataset]`: the CLIP path on a user's own
/// checkpoint (HF CLIPModel directory) and images. Registers both (reusing them when already registered), extracts the
/// middle vision block's residual stream over the dataset's train split, trains a ReLU SAE on it, runs the CLIP study
/// on the dataset (kind clip-study-data) and writes report.html and report.md.
/// </summary>
public static class QuickstartOwn
{
    public sealed record Options(Option<string?> Model, Option<string?> Images, VocabularyOptions Vocabulary);

    public static Options Add(Command quickstart)
    {
        var model = new Option<string?>("--model") { Description = "your CLIP: a Hugging Face CLIPModel directory (config.json, safetensors, tokenizer, preprocessor_config.json), or the id or name of one registered with `models add`" };
        var images = new Option<string?>("--images") { Description = "your images: images:DIR, imagefolder:DIR, jsonl:FILE, csv:FILE or parquet:PATH (needs --model)" };
        quickstart.Options.Add(model);
        quickstart.Options.Add(images);
        return new Options(model, images, VocabularyOptions.Add(quickstart));
    }

    public static async Task<int> RunAsync(PlatformSession session, ParseResult parse, Options o, bool quick, string outDir, CancellationToken ct)
    {
        var modelArg = parse.GetValue(o.Model) ?? throw new ArgumentException("--images needs --model DIR|ID (your CLIP checkpoint, or a registered one)");
        var imagesSpec = parse.GetValue(o.Images) ?? throw new ArgumentException("--model needs --images SPEC (images:DIR, imagefolder:DIR, jsonl:FILE, csv:FILE, parquet:PATH)");
        var report = new List<string> { "# MMInterp quickstart: your model and images", "" };
        var html = new HtmlReport("MMInterp quickstart: your CLIP on your images");

        // 1. The model: checked key by key before anything is stored; reused when this directory is registered already.
        // A registered CLIP (id or name, e.g. from `models add`) is read from the artefact store's copy of its directory.
        ModelRecord model;
        string modelDir;
        if (Directory.Exists(modelArg))
        {
            modelDir = Path.GetFullPath(modelArg);
            model = await RegisterModelAsync(session, modelDir, ct);
        }
        else
            (model, modelDir) = await session.Models.ResolveAsync(await StudyModels.ResolveAsync(session, modelArg, ModelFamily.Clip, ct), ModelFamily.Clip, ct);
        var config = ClipDirectory.Inspect(modelDir).Config;
        var vision = config.Vision;
        Console.WriteLine($"model {model.Id} ({model.Name}): ViT {vision.Tower.NumLayers} blocks, width {vision.Tower.HiddenSize}, {vision.ImageSize}px, patch {vision.PatchSize}");
        report.Add($"- model `{model.Id}` ({model.Name}) from `{modelDir}`: {vision.Tower.NumLayers} vision blocks of width {vision.Tower.HiddenSize}, {vision.ImageSize}px images");

        // 2. The images: registered by content (the same files give the same id); undecodable files are named later.
        var dataset = (await CliAction.WithProgress("datasets: register", r => DatasetRegistration.RegisterAsync(session.Artefacts, session.Registry, imagesSpec, null,
            new Progress<int>(n => r(0, $"{n} files stored")), ct))).Record;
        var train = DatasetSplits.Indices(ImageDatasets.Open(imagesSpec), "train").Count;
        Console.WriteLine($"dataset {dataset.Id} ({dataset.Name}): {dataset.ItemCount} images, {dataset.LabelNames.Count} labels, {train} in the train split");
        report.Add($"- dataset `{dataset.Id}` ({dataset.Name}): {dataset.ItemCount} images, {dataset.LabelNames.Count} labels; {train} in the train split (SAE), the study samples all");
        html.Heading("1. Your model and images")
            .Paragraph($"Model {model.Id} ({model.Name}) from {modelDir}: {vision.Tower.NumLayers} vision blocks of width {vision.Tower.HiddenSize}, {vision.ImageSize}px images, patch {vision.PatchSize}. "
                       + $"Dataset {dataset.Id} ({dataset.Name}, {imagesSpec}): {dataset.ItemCount} images, {dataset.LabelNames.Count} labels.");
        if (train < 8) throw new ArgumentException($"dataset {dataset.Id} has {train} images in its train split; the SAE needs more (add images)");

        // 3. Activations of the middle vision block over the train split.
        var cluster = await session.ClusterAsync(ct);
        var hook = $"vision.blocks.{vision.Tower.NumLayers / 2}.hook_resid_post";
        var count = Math.Min(train, quick ? 256 : 4096);
        var jobId = CliIds.New("extract");
        var job = cluster.GetGrain<IExtractionJobGrain>(jobId);
        await job.Start(new ExtractionJobSpec(model.Id, [hook], DatasetSpec.Registered(dataset.Id, "train", count), Shards: Math.Min(4, Math.Max(1, count / 64))));
        var extracted = await JobWatcher.FollowAsync("extract", job.Status, ct);
        var set = (await session.Registry.ActivationSets.GetAsync(extracted.ActivationSetId!, ct))!;
        Console.WriteLine($"activation set {set.Id}: {set.RowCount} rows of {hook}");
        report.Add($"- activation set `{set.Id}`: {set.RowCount} token activations at `{hook}` from {count} train images");

        // 4. A ReLU + L1 SAE (inputs normalised), as the ShapesWorld quickstart trains.
        var (runId, sae, steps, m) = await QuickstartSae.TrainAsync(cluster, set.Id, hook, vision.Tower.HiddenSize, quick ? 4 : 8, quick ? 200 : 2000, ct);
        report.Add(string.Create(CultureInfo.InvariantCulture, $"- SAE `{runId}` (ReLU + L1, d_sae={sae.DSae}, {steps} steps): L0 {m["l0"]:F1}, FVU {m["fvu"]:F3}, dead {m["dead_fraction"]:P1}"));
        html.Heading("2. Activations and SAE")
            .Paragraph($"Activation set {set.Id}: {set.RowCount} token activations at {hook} from {count} train images. SAE {runId}: ReLU + L1 on normalised inputs, d_sae={sae.DSae}, {steps} steps.")
            .Figures([("sae_l0", m["l0"], "active features per token"), ("sae_fvu", m["fvu"], "fraction of variance unexplained"), ("sae_dead_fraction", m["dead_fraction"], "")]);

        // 5. The study on the dataset: labels where it has them, else the vocabulary (default: ImageNet's classes).
        var vocabulary = o.Vocabulary.Resolve(parse, new RegisteredDatasetLabels(dataset))
                         ?? (dataset.LabelNames.Count >= 2 ? BuiltInVocabularies.FromDataset(new RegisteredDatasetLabels(dataset)) : BuiltInVocabularies.ImageNet1k());
        var options = quick
            ? new Dictionary<string, double> { ["images"] = 128, ["held_out_images"] = 32, ["label_features"] = 32, ["steer_features"] = 8, ["typographic_images"] = 32, ["typographic_calibration_images"] = 32, ["typographic_candidates"] = 16, ["dashboards"] = 6 }
            : [];
        var spec = new AnalysisSpec(ClipDataStudyAnalysis.Kind, model.Id, runId, hook, ClipDataStudyAnalysis.OptionsJson(dataset.Id, vocabulary, options));
        var study = await ExperimentRunner.RunAsync(session, "analyze clip (dataset)", spec, outDir, ct);
        AnalyzeCommand.PrintWithControls(study);
        report.Add($"- experiment `{study.Experiment.Id}` (vocabulary {vocabulary.Name}):");
        foreach (var (name, value, note) in DataStudySection.Rows(study))
            report.Add($"  - {name} {ExperimentRunner.Format(value)} ({note.Split(" — ")[0]})");
        html.Heading("3. The CLIP study on your images");
        await DataStudySection.AddAsync(html, session, study, runId, outDir, ct);
        report.Add("");
        report.Add("Everything above is registered: `mminterp models list`, `mminterp registry list activations|dictionaries|runs|experiments`.");
        await File.WriteAllLinesAsync(Path.Combine(outDir, "report.md"), report, ct);
        var reportPath = Path.Combine(outDir, "report.html");
        html.Write(reportPath);
        Console.WriteLine($"report: {reportPath}");
        return 0;
    }

    /// <summary>The model registered from <paramref name="directory"/> (by this name and source), or a new registration.</summary>
    static async Task<ModelRecord> RegisterModelAsync(PlatformSession session, string directory, CancellationToken ct)
    {
        var name = Path.GetFileName(directory.TrimEnd(Path.DirectorySeparatorChar));
        if (await session.Registry.Models.GetByNameAsync(name, ct: ct) is { } existing
            && (JsonNode.Parse(existing.SpecJson) as JsonObject)?["source_dir"]?.GetValue<string>() == directory)
        {
            Console.WriteLine($"model {existing.Id}: already registered from {directory}");
            return existing;
        }
        return (await ForeignModelRegistration.RegisterClipAsync(session.Artefacts, session.Registry, directory, name, ct)).Model;
    }
}
