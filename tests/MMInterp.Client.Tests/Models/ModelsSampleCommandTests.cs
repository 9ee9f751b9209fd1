using System.Text.Json.Nodes;
using MMInterp.Kernels.Checkpoints;
using MMInterp.Kernels.Models.Clip;
using MMInterp.Kernels.Models.ZooUNet;
using MMInterp.Kernels.Zoo;
using SkiaSharp;
using Xunit;

namespace MMInterp.Client.Tests.Models;

/// <summary>`models sample DIR --prompt P ... --out FILE.png` on a tiny random SD pipeline and a tiny zoo U-Net: one
/// labelled row per prompt, the same seed the same picture, and one-line errors for bad directories and options.</summary>
[Collection(MMInterp.Client.Tests.Cli.ConsoleErrorCollection.Name)]
public sealed class ModelsSampleCommandTests : IDisposable
{
    readonly string _home = Directory.CreateTempSubdirectory("mminterp-sample-").FullName;

    public void Dispose() => Directory.Delete(_home, true);

    static Task<(int Code, string Out, string Err)> InvokeAsync(params string[] args) =>
        ModelsCli.InvokeAsync(Path.GetTempPath(), args);

    [Fact]
    public async Task APipelineDrawsOneRowPerPromptAndTheSameSeedRedrawsIt()
    {
        var dir = MMInterp.Tests.TinySdPipeline.Write(Path.Combine(_home, "tiny-sd"));
        var (a, b) = (Path.Combine(_home, "a.png"), Path.Combine(_home, "b.png"));
        var (code, output, err) = await InvokeAsync("models", "sample", dir, "--prompt", "a red cat", "--prompt", "a blue dog", "--steps", "3", "--seed", "4", "--out", a, "--json");
        Assert.True(code == 0, err);
        var result = JsonNode.Parse(output)!;
        Assert.Equal("sd pipeline", result["kind"]!.GetValue<string>());
        Assert.Equal(3, result["steps"]!.GetValue<int>());
        Assert.Equal(7.5, result["guidance"]!.GetValue<double>());
        (code, _, err) = await InvokeAsync("models", "sample", dir, "--prompt", "a red cat", "--prompt", "a blue dog", "--steps", "3", "--seed", "4", "--out", b);
        Assert.True(code == 0, err);
        using var first = SKBitmap.Decode(a);
        using var second = SKBitmap.Decode(b);
        Assert.True(first.Height > first.Width / 2, $"two rows expected, got {first.Width}x{first.Height}");
        // The same picture, judged beside another seed's: a step that oneDNN left NaN is recomputed without oneDNN
        // (NonFiniteRetry), whose sums differ in the last float bits, and guidance 7.5 over three steps and the VAE
        // grows that to a few 8-bit levels at a pixel (5, once, in a loaded suite). Another seed moves every pixel.
        var c = Path.Combine(_home, "c.png");
        (code, _, err) = await InvokeAsync("models", "sample", dir, "--prompt", "a red cat", "--prompt", "a blue dog", "--steps", "3", "--seed", "5", "--out", c);
        Assert.True(code == 0, err);
        using var other = SKBitmap.Decode(c);
        Assert.Equal(first.Bytes.Length, second.Bytes.Length);
        var same = first.Bytes.Zip(second.Bytes, (x, y) => Math.Abs(x - y)).ToList();
        var seeds = first.Bytes.Zip(other.Bytes, (x, y) => Math.Abs(x - y)).Average();
        Assert.True(same.Max() <= 16 && same.Average() <= 0.1, $"the same seed drew a different picture (bytes off by up to {same.Max()}, {same.Average():0.000} on average)");
        Assert.True(seeds >= 2, $"seeds 4 and 5 drew nearly the same picture ({seeds:0.000} levels apart on average)");
    }

    [Fact]
    public async Task AZooUNetDirectoryDrawsWithItsRecipesSampler()
    {
        var tokenizer = ShapesVocabulary.Build();
        TorchSharp.torch.manual_seed(3);
        var clip = new ClipModel(ClipZooConfig.Default.ModelConfig(tokenizer.VocabSize, tokenizer.EndId, tokenizer.StartId));
        var config = UNetZooConfig.Default with { Width = 16, HeadWidth = 8, NormGroups = 4, Steps = 2, BatchSize = 4, SampleSteps = 2, EvalImages = 8, ClassifierSteps = 2, ContextLength = 14 };
        var dir = Path.Combine(_home, "unet");
        new UNetZooTrainer(config).Build(clip, tokenizer, dir).Model.Dispose();
        var png = Path.Combine(_home, "unet.png");
        var (code, output, err) = await InvokeAsync("models", "sample", dir, "--prompt", "a large red solid circle in the centre", "--prompt", "", "--out", png, "--json");
        Assert.True(code == 0, err);
        var result = JsonNode.Parse(output)!;
        Assert.Equal(("zoo U-Net", 16, 2), (result["kind"]!.GetValue<string>(), result["size"]!.GetValue<int>(), result["steps"]!.GetValue<int>()));
        Assert.True(File.Exists(png));
    }

    [Theory]
    [InlineData("missing-dir", "not found")]
    [InlineData("empty-dir", "not a text-to-image directory")]
    [InlineData("steps", "--steps")]
    [InlineData("out", "--out")]
    public async Task BadInputIsOneLineNamingIt(string breakage, string expected)
    {
        var empty = Directory.CreateDirectory(Path.Combine(_home, "empty")).FullName;
        var png = Path.Combine(_home, "x.png");
        string[] args = breakage switch
        {
            "missing-dir" => ["models", "sample", Path.Combine(_home, "nowhere"), "--prompt", "a", "--out", png],
            "empty-dir" => ["models", "sample", empty, "--prompt", "a", "--out", png],
            "steps" => ["models", "sample", empty, "--prompt", "a", "--steps", "0", "--out", png],
            _ => ["models", "sample", empty, "--prompt", "a", "--out", Path.Combine(_home, "x.jpg")],
        };
        var (code, _, err) = await InvokeAsync(args);
        Assert.NotEqual(0, code);
        Assert.Contains(expected, err);
        Assert.Single(err.Trim().Split('\n'));
        Assert.False(File.Exists(png));
    }
}
