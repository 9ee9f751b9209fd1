using MMInterp.Grains.Registry;
using MMInterp.Kernels.Checkpoints;
using MMInterp.Kernels.Models.Clip;
using MMInterp.Kernels.Zoo;
using MMInterp.Silo.Storage;
using SkiaSharp;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace MMInterp.Client.Tests.Quickstart;

/// <summary>
/// `mminterp quickstart --quick --model DIR --images SPEC` as a newcomer runs it: the program on the embedded default,
/// a CLIP written in the Hugging Face layout (random weights, ShapesWorld-sized) and a folder of photos-to-be in class
/// subfolders with one corrupt file. Everything gets registered, and the report shows the study's figures beside their
/// controls and its pictures, and names the skipped file.
/// </summary>
public sealed class QuickstartOwnModelTests : IAsyncLifetime
{
    readonly EmbeddedCli _cli = new("qso");
    string _home => _cli.Home;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _cli.DisposeAsync();

    [Fact]
    public async Task QuickstartOnYourOwnModelAndImagesRegistersEverythingAndWritesTheReport()
    {
        var model = WriteHfClip(Path.Combine(_home, "my-clip"));
        var images = WriteImageFolder(Path.Combine(_home, "my-images"));
        var report = Path.Combine(_home, "report");
        var run = await Run("quickstart", "--quick", "--model", model, "--images", $"imagefolder:{images}", "--out", report);
        Assert.True(run.Code == 0, run.Output);

        var html = await File.ReadAllTextAsync(Path.Combine(report, "report.html"));
        foreach (var figure in new[] { "live_features", "concept_recovery", "free_label_accuracy", "steerable_share", "zero_shot_accuracy", "typographic_attack_drop" })
            Assert.Contains($"<code>{figure}</code>", html);
        Assert.Contains("concept_recovery_random_sae", html); // the control, beside its figure
        Assert.Contains("broken.png", html);
        foreach (var picture in new[] { "steering.png", "free_labels.png", "attack_examples.png" })
            Assert.True(new FileInfo(Path.Combine(report, picture)).Length > 500, picture);
        Assert.NotEmpty(Directory.GetFiles(Path.Combine(report, "features"), "feature_*_top_examples.png"));
        Assert.Contains("experiment `clip-study-data-", await File.ReadAllTextAsync(Path.Combine(report, "report.md")));

        await using var registry = RegistryStore.Create(_cli.ConnectionString);
        var dictionary = Assert.Single(await registry.Dictionaries.ListAsync());
        Assert.StartsWith("clip-hf-", dictionary.ModelId);
        Assert.Equal("vision.blocks.1.hook_resid_post", dictionary.HookPoint);
        var experiment = Assert.Single(await registry.Experiments.ListAsync());
        Assert.Equal("clip-study-data", experiment.Kind);
    }

    /// <summary>A random CLIP of the zoo's small shape, in HF layout: config.json, model.safetensors, vocab.json + merges.txt,
    /// and a preprocessor_config.json that normalises.</summary>
    static string WriteHfClip(string dir)
    {
        torch.manual_seed(21);
        var zoo = new ClipZooConfig { VisionWidth = 32, VisionLayers = 2, TextWidth = 32, TextLayers = 1, Heads = 2, ProjectionDim = 16 };
        var tokenizer = ShapesVocabulary.Build();
        using var model = new ClipModel(zoo.ModelConfig(tokenizer.VocabSize, tokenizer.EndId, tokenizer.StartId));
        Directory.CreateDirectory(dir);
        ClipConfigJson.Write(model.Config, Path.Combine(dir, "config.json"));
        HfShardedWriter.Write(dir, model.named_parameters().ToDictionary(p => p.name, p => p.parameter.detach()), shards: 1);
        tokenizer.Save(dir);
        File.WriteAllText(Path.Combine(dir, "preprocessor_config.json"),
            """{"crop_size": 32, "size": {"shortest_edge": 32}, "image_mean": [0.48, 0.46, 0.41], "image_std": [0.27, 0.26, 0.28]}""");
        return dir;
    }

    /// <summary>Three colours of discs of various sizes on dark backgrounds, 12 of each at 40x56, and a corrupt file.</summary>
    static string WriteImageFolder(string root)
    {
        var rng = new Random(5);
        foreach (var (name, colour) in new[] { ("red", new SKColor(220, 40, 30)), ("green", new SKColor(40, 200, 60)), ("blue", new SKColor(40, 60, 220)) })
        {
            Directory.CreateDirectory(Path.Combine(root, name));
            for (var i = 0; i < 12; i++)
            {
                using var bitmap = new SKBitmap(40, 56);
                using (var canvas = new SKCanvas(bitmap))
                using (var paint = new SKPaint { Color = colour, IsAntialias = true })
                {
                    canvas.Clear(new SKColor(0, 0, (byte)rng.Next(40)));
                    canvas.DrawCircle(rng.Next(14, 26), rng.Next(20, 36), rng.Next(5, 12), paint);
                }
                using var data = SKImage.FromBitmap(bitmap).Encode(SKEncodedImageFormat.Png, 100);
                File.WriteAllBytes(Path.Combine(root, name, $"{i:D2}.png"), data.ToArray());
            }
        }
        File.WriteAllText(Path.Combine(root, "green", "broken.png"), "this is not a png");
        return root;
    }

    Task<(int Code, string Output)> Run(params string[] args) => _cli.RunAsync(TimeSpan.FromMinutes(10), args);
}
