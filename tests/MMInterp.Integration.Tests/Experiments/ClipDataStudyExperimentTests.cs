using System.Text.Json.Nodes;
using MMInterp.Grains.Contracts.Experiments;
using MMInterp.Grains.Contracts.Jobs;
using MMInterp.Grains.Registry;
using MMInterp.Integration.Tests.Extraction;
using MMInterp.Kernels.Artefacts;
using MMInterp.Kernels.Sae;
using MMInterp.Kernels.ShapesWorld;
using MMInterp.Kernels.Text;
using MMInterp.Silo.Work;
using MMInterp.Kernels.Analyses;
using SkiaSharp;
using TorchSharp;
using Xunit;

namespace MMInterp.Integration.Tests.Experiments;

/// <summary>
/// The CLIP study on a registered user dataset as an experiment: an imagefolder of PNG files (one of them corrupt) is
/// registered, an accelerator silo runs the study against the registered model and dictionary, and the registry ends
/// up with figures beside their controls, pictures, the skipped file named, one stats row per feature and labels. The
/// kernel tests judge the figures; this one judges the plumbing through the grains and a real Postgres.
/// </summary>
public sealed class ClipDataStudyExperimentTests(ExtractionCluster fx) : IClassFixture<ExtractionCluster>
{
    const string Hook = "vision.blocks.1.hook_resid_post";
    static readonly string[] Colours = ["red", "green", "blue"];

    static readonly Dictionary<string, double> Small = new()
    {
        ["images"] = 24, ["held_out_images"] = 8, ["batch_size"] = 16, ["label_features"] = 4, ["baseline_images"] = 4, ["reference_directions"] = 4,
        ["steer_features"] = 2, ["typographic_calibration_images"] = 8, ["typographic_images"] = 8, ["typographic_candidates"] = 4, ["top_k_text"] = 2,
        ["random_trials"] = 1, ["dashboards"] = 2,
    };

    [Fact]
    public async Task AStudyOfARegisteredDatasetRecordsFiguresControlsPicturesAndSkips()
    {
        var dataset = await RegisterImageFolder();
        Assert.Equal(Colours.Order(), dataset.LabelNames.Order());
        var dictionary = await RegisterRandomSae("dict-data-study", dSae: 24);
        var vocabulary = new Vocabulary("colours", Colours.Append("yellow").ToList(), ["a photo of a {} object", "a {} thing"]);
        var spec = new AnalysisSpec(ClipDataStudyAnalysis.Kind, "clip-e2e", dictionary, Hook, ClipDataStudyAnalysis.OptionsJson(dataset.Id, vocabulary, Small));
        var grain = fx.Cluster.Client.GetGrain<IExperimentGrain>("exp-data-study");
        await grain.Start(spec);
        var done = await Wait(grain);
        Assert.True(done.Phase == JobPhase.Succeeded, done.Error);

        var experiment = (await fx.Registry.Experiments.GetAsync("exp-data-study"))!;
        Assert.Equal(ClipDataStudyAnalysis.Kind, experiment.Kind);
        var results = JsonNode.Parse(experiment.ResultsJson)!;
        var figures = (JsonObject)results["figures"]!;
        Assert.Equal(24, figures["images_studied"]!.GetValue<double>());
        Assert.Equal(8, figures["images_held_out"]!.GetValue<double>());
        Assert.Equal(1, figures["images_skipped"]!.GetValue<double>());
        var skipped = (JsonArray)results["skipped"]!;
        Assert.EndsWith("broken.png", Assert.Single(skipped)!["key"]!.GetValue<string>());
        // A random SAE on a random CLIP may detect no label; such figures are recorded as null, never dropped.
        foreach (var figure in new[] { "concept_recovery", "concept_recovery_random_sae", "free_label_score", "free_label_score_random_directions",
                     "steerable_share", "steerable_share_random", "zero_shot_accuracy", "zero_shot_accuracy_sae_inserted", "free_label_accuracy" })
            Assert.True(figures.ContainsKey(figure), $"figure {figure} missing from {experiment.ResultsJson}");
        // Every figure is recorded with the controls measured beside it.
        var controls = ((JsonArray)results["controls"]!).Select(c => c!["figure"]!.GetValue<string>()).ToList();
        Assert.Contains("concept_recovery", controls);
        Assert.Contains("steerable_share", controls);
        foreach (var image in new[] { "steering", "free_labels", "concept_recovery", "attack_examples" })
        {
            var bytes = await fx.Store.ReadAllBytesAsync(results["images"]![image]!.GetValue<string>());
            Assert.Equal(0x89, bytes[0]); // PNG signature
        }
        Assert.Equal(dataset.Id, results["notes"]!["dataset"]!.GetValue<string>());

        var features = await fx.Registry.Features.ListAsync(dictionary);
        Assert.Equal(24, features.Count);
        var stats = features.Select(f => JsonNode.Parse(f.StatsJson)!).ToList();
        Assert.Equal(2, stats.Count(s => s["images"]?["top_examples"] is not null));
        Assert.All(stats, s => Assert.Equal(dataset.Id, s["dataset"]!.GetValue<string>()));
        var labels = await fx.Registry.Features.GetLabelsAsync(dictionary);
        Assert.Contains(labels, l => l.Method == LabelMethod.FreeLabel && vocabulary.Concepts.Contains(l.Label));
        Assert.All(labels, l => Assert.Equal("exp-data-study", l.ExperimentId));
    }

    [Fact]
    public async Task AStudyOfAnUnregisteredDatasetFailsWithAClearError()
    {
        var dictionary = await RegisterRandomSae("dict-data-missing", dSae: 8);
        var grain = fx.Cluster.Client.GetGrain<IExperimentGrain>("exp-data-missing");
        await grain.Start(new AnalysisSpec(ClipDataStudyAnalysis.Kind, "clip-e2e", dictionary, Hook,
            ClipDataStudyAnalysis.OptionsJson("dataset-0000000000000000", new Vocabulary("v", ["red", "blue"]), Small)));
        var done = await Wait(grain);
        Assert.Equal(JobPhase.Failed, done.Phase);
        Assert.Contains("dataset 'dataset-0000000000000000' is not registered", done.Error);
    }

    /// <summary>Single-object ShapesWorld scenes of three colours as 48px PNG files in class folders, and a corrupt file.</summary>
    async Task<DatasetRecord> RegisterImageFolder()
    {
        var root = Path.Combine(fx.Home, "colours");
        var world = new ShapesWorldGenerator(new ShapesWorldConfig { ImageSize = 48, MinObjects = 1, MaxObjects = 1 });
        var written = Colours.ToDictionary(c => c, _ => 0);
        for (var i = 0; written.Values.Any(n => n < 12); i++)
        {
            var scene = world.Scene(77, i);
            var colour = scene.Objects[0].Word(ObjectAttribute.Colour);
            if (!written.TryGetValue(colour, out var n) || n >= 12) continue;
            WritePng(Path.Combine(root, colour, $"{i:D3}.png"), world.Render(scene).Rgb, 48);
            written[colour] = n + 1;
        }
        File.WriteAllText(Path.Combine(root, "red", "broken.png"), "not a png");
        var (record, _) = await DatasetRegistration.RegisterAsync(fx.Store, fx.Registry, $"imagefolder:{root}", "colours");
        return record;
    }

    static void WritePng(string path, float[] planar, int size)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var bitmap = new SKBitmap(new SKImageInfo(size, size, SKColorType.Rgba8888, SKAlphaType.Opaque));
        var n = size * size;
        for (var i = 0; i < n; i++)
            bitmap.SetPixel(i % size, i / size, new SKColor(Byte(planar[i]), Byte(planar[n + i]), Byte(planar[2 * n + i])));
        using var data = SKImage.FromBitmap(bitmap).Encode(SKEncodedImageFormat.Png, 100);
        File.WriteAllBytes(path, data.ToArray());
    }

    static byte Byte(float v) => (byte)Math.Clamp(MathF.Round(v * 255f), 0, 255);

    async Task<string> RegisterRandomSae(string id, int dSae)
    {
        torch.manual_seed(13);
        using var sae = SaeFactory.Create(new SaeConfig { Kind = SaeKind.Relu, DIn = 32, DSae = dSae, Seed = 3 });
        var path = Path.Combine(fx.Home, $"{id}.safetensors");
        SaeCheckpoint.SaveSae(path, sae);
        var artefact = await fx.Store.PutFileAsync(path, ArtefactKind.Safetensors);
        await fx.Registry.Artefacts.RecordAsync(artefact);
        await fx.Registry.Dictionaries.RegisterAsync(new NewDictionary("clip-e2e", Hook, SaeArchitecture.Relu, 32, dSae, artefact.Sha256, Id: id));
        return id;
    }

    static async Task<JobProgress> Wait(IExperimentGrain grain)
    {
        var deadline = DateTime.UtcNow.AddMinutes(5);
        while (true)
        {
            var p = await grain.Status();
            if (p.Finished || DateTime.UtcNow > deadline) return p;
            await Task.Delay(250);
        }
    }
}
