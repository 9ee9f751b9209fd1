using System.CommandLine;
using MMInterp.Client.Commands;
using MMInterp.Grains.Registry;
using MMInterp.Kernels.Checkpoints;
using MMInterp.Kernels.Models.Clip;
using MMInterp.Kernels.Text;
using MMInterp.Silo.Storage;
using Spectre.Console;
using TorchSharp;
using Xunit;

namespace MMInterp.Client.Tests.Models;

/// <summary>A migrated throwaway registry, an artefact store and a tiny HF CLIPModel directory.</summary>
public sealed class ModelsFixture : IAsyncLifetime
{
    LocalPostgres? _pg;
    public string ConnectionString => _pg!.ConnectionString;
    public string Home { get; } = Directory.CreateTempSubdirectory("mminterp-models-cmd-").FullName;
    public string Artefacts => Path.Combine(Home, "artefacts");
    public string ClipDir => Path.Combine(Home, "tiny-clip");

    public async Task InitializeAsync()
    {
        _pg = await LocalPostgres.StartThrowawayAsync();
        await Migrations.ApplyAsync(_pg.ConnectionString);
        var tokenizer = ClipBpeTokenizer.BuildForWords(["a", "photo", "of", "cat"]);
        var tower = new ClipTowerConfig { HiddenSize = 8, IntermediateSize = 16, NumLayers = 1, NumHeads = 2 };
        var config = new ClipConfig
        {
            ProjectionDim = 4,
            Vision = new ClipVisionConfig { ImageSize = 8, PatchSize = 4, Tower = tower },
            Text = new ClipTextConfig { VocabSize = tokenizer.VocabSize, MaxPositions = 7, EosTokenId = 2, Tower = tower },
        };
        torch.manual_seed(1);
        using var model = new ClipModel(config);
        ClipCheckpoint.Save(model, tokenizer, ClipDir);
    }

    public async Task DisposeAsync()
    {
        if (_pg is not null) await _pg.DisposeAsync();
        try { Directory.Delete(Home, recursive: true); } catch (IOException) { }
    }
}

[Collection(MMInterp.Client.Tests.Cli.ConsoleErrorCollection.Name)]
public class ModelsCommandTests(ModelsFixture fx) : IClassFixture<ModelsFixture>
{
    Task<(int Code, string Out, string Err)> InvokeAsync(params string[] args) =>
        ModelsCli.InvokeAsync(fx.Artefacts, [.. args, "--db", fx.ConnectionString], width: 240);

    [Fact]
    public async Task AddPrintsTheIdListShowsItAndRemoveUnregistersIt()
    {
        var (code, output, err) = await InvokeAsync("models", "add", fx.ClipDir, "--family", "clip", "--name", "tiny hf clip");
        Assert.True(code == 0, err);
        var id = output.Trim().Split('\n')[^1].Trim();
        Assert.StartsWith("clip-hf-", id);
        Assert.Contains("1 shard(s)", output);

        (code, output, _) = await InvokeAsync("models", "list");
        Assert.Equal(0, code);
        Assert.Contains(id, output);
        Assert.Contains("tiny hf clip", output);
        (code, output, _) = await InvokeAsync("models", "show", "tiny hf clip", "--json");
        Assert.Equal(0, code);
        var spec = System.Text.Json.Nodes.JsonNode.Parse(output)!["spec"]!;
        Assert.Equal(1, spec["shard_count"]!.GetValue<int>());
        Assert.Equal("huggingface-directory", spec["source"]!.GetValue<string>());

        (code, output, err) = await InvokeAsync("models", "remove", id);
        Assert.True(code == 0, err);
        Assert.Contains($"removed {id}", output);
        await using var store = RegistryStore.Create(fx.ConnectionString);
        Assert.Null(await store.Models.GetAsync(id));
    }

    [Fact]
    public async Task AnHfLlavaIsAddedAsAVlm()
    {
        var dir = Path.Combine(fx.Home, "tiny-llava");
        var config = new Kernels.Models.Llava.LlavaConfig
        {
            Vision = new ClipVisionConfig { ImageSize = 16, PatchSize = 8, Tower = new ClipTowerConfig { HiddenSize = 8, IntermediateSize = 16, NumLayers = 2, NumHeads = 2 } },
            Text = new Kernels.Models.Llm.LlamaConfig { HiddenSize = 16, IntermediateSize = 32, NumLayers = 1, NumHeads = 2, NumKvHeads = 1, VocabSize = 702, MaxPositions = 64 },
            ImageTokenId = 700,
        };
        torch.manual_seed(2);
        using (var model = new Kernels.Models.Llava.LlavaForConditionalGeneration(config, torch.ScalarType.BFloat16)) LlavaCheckpoint.Save(model, dir);
        foreach (var f in Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "TokenizerGolden", "llama"))) File.Copy(f, Path.Combine(dir, Path.GetFileName(f)));

        var (code, output, err) = await InvokeAsync("models", "add", dir, "--family", "vlm", "--name", "tiny hf llava");
        Assert.True(code == 0, err);
        var id = output.Trim().Split('\n')[^1].Trim();
        Assert.StartsWith("llava-hf-", id);
        Assert.Contains("older HF keys", output);
        (code, output, _) = await InvokeAsync("models", "show", "tiny hf llava", "--json");
        Assert.Equal(0, code);
        var shown = System.Text.Json.Nodes.JsonNode.Parse(output)!;
        Assert.Equal("llava", shown["spec"]!["architecture"]!.GetValue<string>());
        Assert.Equal(4, shown["spec"]!["config"]!["image_tokens"]!.GetValue<int>());
        Assert.Contains("vlm", output);
    }

    [Fact]
    public async Task AStableDiffusionPipelineRegistersAsADiffusionModel()
    {
        var dir = MMInterp.Tests.TinySdPipeline.Write(Path.Combine(fx.Home, "tiny-sd"), scheduler: "PNDMScheduler");
        var (code, output, err) = await InvokeAsync("models", "add", dir, "--family", "diffusion", "--name", "tiny sd");
        Assert.True(code == 0, err);
        var id = output.Trim().Split('\n')[^1].Trim();
        Assert.StartsWith("sd-hf-", id);
        Assert.Contains("scheduler PNDMScheduler (sampled as DDIMScheduler)", output);
        Assert.Contains("not stored: safety_checker, feature_extractor", output);
        (code, output, _) = await InvokeAsync("models", "show", "tiny sd", "--json");
        Assert.Equal(0, code);
        var spec = System.Text.Json.Nodes.JsonNode.Parse(output)!["spec"]!;
        Assert.Equal("stable-diffusion", spec["architecture"]!.GetValue<string>());
        Assert.Equal(16, spec["config"]!["text_encoders"]![0]!["hidden_size"]!.GetValue<int>());
    }

    [Fact]
    public async Task OtherFamiliesAndBrokenDirectoriesGetOneLine()
    {
        // A CLIP directory offered as a diffusers pipeline: no model_index.json.
        var (code, _, err) = await InvokeAsync("models", "add", fx.ClipDir, "--family", "diffusion");
        Assert.NotEqual(0, code);
        Assert.Equal($"error: {fx.ClipDir}: no model_index.json (not a diffusers pipeline directory)", err.Trim());
        // A CLIP directory offered as a VLM: its config says what it is.
        (code, _, err) = await InvokeAsync("models", "add", fx.ClipDir, "--family", "vlm");
        Assert.NotEqual(0, code);
        Assert.Equal($"error: {Path.Combine(fx.ClipDir, "config.json")}: model_type \"clip\" is not a LLaVA config (expected 'llava' for LlavaForConditionalGeneration)", err.Trim());

        int Stored() => Directory.Exists(fx.Artefacts) ? Directory.EnumerateFiles(fx.Artefacts, "*", SearchOption.AllDirectories).Count() : 0;
        var before = Stored();
        var empty = Directory.CreateTempSubdirectory("mminterp-empty-").FullName;
        (code, _, err) = await InvokeAsync("models", "add", empty, "--family", "clip");
        Assert.NotEqual(0, code);
        Assert.Equal($"error: {empty}: no config.json (not an HF model directory)", err.Trim());

        // A directory with weights but a config of another family: refused before anything is stored.
        var llava = Directory.CreateTempSubdirectory("mminterp-llava-").FullName;
        foreach (var f in Directory.GetFiles(fx.ClipDir)) File.Copy(f, Path.Combine(llava, Path.GetFileName(f)));
        File.WriteAllText(Path.Combine(llava, "config.json"), """{"model_type": "llava", "text_config": {}, "vision_config": {}}""");
        (code, _, err) = await InvokeAsync("models", "add", llava, "--family", "clip");
        Assert.Equal(2, code);
        Assert.Equal($"error: {llava}/config.json: model_type 'llava' is not a CLIPModel (expected model_type 'clip')", err.Trim());
        Assert.Equal(before, Stored());
    }

    [Fact]
    public async Task CheckpointsWhoseContentCannotBeRightGetOneLineAndNothingIsStored()
    {
        int Stored() => Directory.Exists(fx.Artefacts) ? Directory.EnumerateFiles(fx.Artefacts, "*", SearchOption.AllDirectories).Count() : 0;
        string Copy()
        {
            var dir = Directory.CreateTempSubdirectory("mminterp-damaged-").FullName;
            foreach (var f in Directory.GetFiles(fx.ClipDir)) File.Copy(f, Path.Combine(dir, Path.GetFileName(f)));
            return dir;
        }
        var before = Stored();

        var eps = Copy();
        var config = File.ReadAllText(Path.Combine(eps, "config.json"));
        File.WriteAllText(Path.Combine(eps, "config.json"), config.Replace("\"layer_norm_eps\": 1E-05", "\"layer_norm_eps\": 1e400", StringComparison.OrdinalIgnoreCase));
        var (code, _, err) = await InvokeAsync("models", "add", eps, "--family", "clip");
        Assert.Equal(2, code);
        Assert.Equal($"error: {eps}/config.json: layer_norm_eps must be a finite number, got 1e400", err.Trim());

        // Bytes after the last tensor: the header does not describe this file.
        var trailing = Copy();
        var weights = Path.Combine(trailing, "model.safetensors");
        File.AppendAllText(weights, "junk");
        (code, _, err) = await InvokeAsync("models", "add", trailing, "--family", "clip");
        Assert.Equal(2, code);
        Assert.Matches($"^error: {System.Text.RegularExpressions.Regex.Escape(weights)}: the tensors cover [0-9]+ data bytes but the file holds [0-9]+ \\(trailing bytes", err.Trim());
        Assert.Equal(before, Stored());
    }
}
