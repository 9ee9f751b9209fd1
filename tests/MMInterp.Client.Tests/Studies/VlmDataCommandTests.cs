using System.Diagnostics;
using System.Text.Json.Nodes;
using MMInterp.Grains.Registry;
using MMInterp.Kernels.Checkpoints;
using MMInterp.Kernels.Images;
using MMInterp.Kernels.Interp.DataStudy;
using MMInterp.Kernels.Models.Llava;
using MMInterp.Kernels.Sae;
using SkiaSharp;
using Xunit;

namespace MMInterp.Client.Tests.Studies;

/// <summary>
/// `mminterp vlm trace|knockout|logit-lens --model DIR --data FILE.jsonl` and `analyze vlm --data` on an HF LLaVA
/// (random, tiny, written in HF layout here) with a user's images and questions: a bad JSONL is refused before anything
/// opens; a good one runs as experiments whose figures and pictures come back, and its images extract through `extract`.
/// </summary>
public sealed class VlmDataCommandTests : IAsyncLifetime
{
    readonly EmbeddedCli _cli = new("vlmdata");
    string Home => _cli.Home;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _cli.DisposeAsync();

    [Fact]
    public async Task ABadJsonlIsOneErrorLineAndExitTwoBeforeAnythingOpens()
    {
        var data = Path.Combine(Home, "data");
        Directory.CreateDirectory(data);
        WritePng(Path.Combine(data, "a.png"), 40, 40);
        var jsonl = Path.Combine(data, "d.jsonl");
        File.WriteAllLines(jsonl, ["""{"image": "a.png", "question": "What?", "answer": "red"}""", """{"image": "a.png", "question": "What?" """]);
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "mminterp.dll"));
        foreach (var a in new[] { "vlm", "trace", "--model", Path.Combine(Home, "nowhere"), "--data", jsonl, "--out", Path.Combine(Home, "out") }) psi.ArgumentList.Add(a);
        psi.Environment["MMINTERP_DB"] = "Host=127.0.0.1;Port=1;Database=none;Timeout=1"; // nothing reachable: refused before opening
        using var p = Process.Start(psi)!;
        var (stdout, stderr) = (p.StandardOutput.ReadToEndAsync(), p.StandardError.ReadToEndAsync());
        await p.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromMinutes(2)).Token);
        Assert.Equal(2, p.ExitCode);
        Assert.Equal("", await stdout);
        var line = Assert.Single((await stderr).Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal($"error: {jsonl} line 2: bad JSON", line[..line.IndexOf(" (", StringComparison.Ordinal)]);
    }

    [Fact]
    public async Task TracingKnockoutAndLensRunOnALlavaDirectoryWithTheUsersData()
    {
        var model = WriteTinyLlava(Path.Combine(Home, "tiny-llava"));
        var data = Path.Combine(Home, "data");
        Directory.CreateDirectory(Path.Combine(data, "img"));
        WritePng(Path.Combine(data, "img", "a.png"), 48, 40);
        WritePng(Path.Combine(data, "img", "b.png"), 40, 40);
        var jsonl = Path.Combine(data, "vqa.jsonl");
        File.WriteAllLines(jsonl,
        [
            """{"image": "img/a.png", "question": "What colour is the square?", "answer": "red", "box": [4, 0, 24, 20]}""",
            """{"image": "img/b.png", "question": "Is there a circle?", "answer": "yes"}""",
        ]);
        var outDir = Path.Combine(Home, "trace");
        var trace = await Run("vlm", "trace", "--model", model, "--data", jsonl, "--out", outDir);
        Assert.True(trace.Code == 0, trace.Output);
        Assert.Contains("figure tracing_object_share:", trace.Output);
        Assert.Contains("2 examples, 1 with a box or mask", trace.Output);
        foreach (var png in new[] { "tracing_resid.png", "tracing_example.png", "tracing_patches.png" })
            Assert.True(new FileInfo(Path.Combine(outDir, png)).Length > 200, png);
        var results = JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, "tracing.json")))!;
        Assert.Equal(1.0 / 16 * 4, results["figures"]!["tracing_object_share_random_control"]!.GetValue<double>(), 9);

        var all = await Run("analyze", "vlm", "--model", model, "--data", jsonl, "--out", Path.Combine(Home, "all"));
        Assert.True(all.Code == 0, all.Output);
        Assert.Contains("knockout_image_drop", all.Output);
        Assert.True(new FileInfo(Path.Combine(Home, "all", "logit_lens.png")).Length > 200);

        // Steering through a vision SAE (random here: the road, not the effect): the answers are the concepts.
        var saePath = Path.Combine(Home, "sae.safetensors");
        using (var sae = SaeFactory.Create(new SaeConfig { Kind = SaeKind.Relu, DIn = 32, DSae = 64, Seed = 3 })) SaeCheckpoint.SaveSae(saePath, sae);
        var steer = await Run("vlm", "steer", "--model", model, "--data", jsonl, "--sae", saePath, "--out", Path.Combine(Home, "steer"));
        Assert.True(steer.Code == 0, steer.Output);
        Assert.Contains("figure vlm_steering_success:", steer.Output);
        var steering = JsonNode.Parse(File.ReadAllText(Path.Combine(Home, "steer", "steering.json")))!;
        Assert.Equal(2, steering["trials"]!.GetValue<int>()); // two examples, two answers: each steered on the other

        await using var registry = RegistryStore.Create(_cli.ConnectionString);
        var registered = Assert.Single(await registry.Models.ListAsync()); // the same directory is the same model
        Assert.StartsWith("llava-hf-", registered.Id);
        var experiments = await registry.Experiments.ListAsync();
        Assert.Equal(3, experiments.Count);
        Assert.All(experiments, e => Assert.Equal("vqa.jsonl", JsonNode.Parse(e.ConfigJson)!["options"]!["data_file"]!.GetValue<string>()));

        // Without --data a LLaVA has nothing to be asked: the run says what to give it.
        var bare = await Run("vlm", "knockout", "--model", registered.Id, "--out", Path.Combine(Home, "bare"));
        Assert.NotEqual(0, bare.Code);
        Assert.Contains("is an HF LLaVA: give it your images and questions (--data FILE.jsonl)", bare.Output);

        // The same images feed an extraction at a vision hook (the road to an SAE of this LLaVA's tower on them).
        var extract = await Run("extract", "--model", registered.Id, "--hooks", "vision.blocks.0.hook_resid_post", "--dataset", $"images:{Path.Combine(data, "img")}", "--shards", "1");
        Assert.True(extract.Code == 0, extract.Output);
        var set = Assert.Single(await registry.ActivationSets.ListAsync());
        Assert.Equal(2L * 17, set.RowCount); // 2 images x (16 patches + class token)
    }

    Task<(int Code, string Output)> Run(params string[] args) => _cli.RunAsync(TimeSpan.FromMinutes(10), args);

    /// <summary>A random LLaVA at tiny sizes (32 px images in 8 px patches, two Llama layers) with the llama tokeniser
    /// fixture, whose &lt;image&gt; is id 700.</summary>
    static string WriteTinyLlava(string dir)
    {
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "config.json"), """
            {"architectures": ["LlavaForConditionalGeneration"], "model_type": "llava", "image_token_index": 700,
             "vision_feature_layer": -2, "vision_feature_select_strategy": "default", "projector_hidden_act": "gelu",
             "vision_config": {"model_type": "clip_vision_model", "hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2,
                               "num_attention_heads": 4, "image_size": 32, "patch_size": 8, "hidden_act": "quick_gelu"},
             "text_config": {"model_type": "llama", "hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2,
                             "num_attention_heads": 4, "num_key_value_heads": 2, "vocab_size": 702, "bos_token_id": 1, "eos_token_id": 2}}
            """);
        TorchSharp.torch.random.manual_seed(5);
        using (var fresh = new LlavaForConditionalGeneration(LlavaCheckpoint.ReadConfig(dir))) LlavaCheckpoint.Save(fresh, dir);
        foreach (var f in Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "TokenizerGolden", "llama")))
            File.Copy(f, Path.Combine(dir, Path.GetFileName(f)), overwrite: true);
        return dir;
    }

    static void WritePng(string path, int w, int h)
    {
        var image = new RgbImage(w, h, Enumerable.Range(0, w * h * 3).Select(i => (byte)(i * 13 % 251)).ToArray());
        using var bitmap = RgbBitmaps.ToBitmap(image);
        using var png = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        File.WriteAllBytes(path, png.ToArray());
    }
}
