using System.CommandLine;
using System.Diagnostics;
using System.Text.Json.Nodes;
using MMInterp.Client.Commands;
using MMInterp.Client.Platform;
using MMInterp.Grains.Registry;
using MMInterp.Kernels.Activations;
using MMInterp.Kernels.Artefacts;
using MMInterp.Kernels.Checkpoints;
using MMInterp.Kernels.IO;
using MMInterp.Kernels.Models.Clip;
using MMInterp.Kernels.Sae;
using MMInterp.Kernels.Sae.Interchange;
using MMInterp.Silo.Storage;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace MMInterp.Client.Tests.Registry;

/// <summary>A throwaway registry and artefact store with a CLIP model (its config.json stored) and a VLM model
/// whose only width fact is an activation set.</summary>
public sealed class InterchangeRegistry : IAsyncLifetime
{
    LocalPostgres? _pg;
    public string Root { get; } = Path.Combine(Path.GetTempPath(), $"mminterp-interchange-{Guid.NewGuid():N}");
    public string ConnectionString => _pg!.ConnectionString;
    public RegistryStore Registry { get; private set; } = null!;
    public ArtefactStore Artefacts { get; private set; } = null!;
    public ModelRecord Clip { get; private set; } = null!;
    public ModelRecord Vlm { get; private set; } = null!;
    public const string VlmHook = "vision.blocks.1.hook_resid_post";
    public const int VlmWidth = 24;
    public static readonly ClipConfig ClipShape = new()
    {
        Vision = new ClipVisionConfig { Tower = new ClipTowerConfig { HiddenSize = 32, IntermediateSize = 128, NumLayers = 2, NumHeads = 4 } },
    };

    public async Task InitializeAsync()
    {
        _pg = await LocalPostgres.StartThrowawayAsync();
        await Migrations.ApplyAsync(_pg.ConnectionString);
        Registry = RegistryStore.Create(_pg.ConnectionString);
        Artefacts = new ArtefactStore(Path.Combine(Root, "store"));

        var modelDir = Path.Combine(Root, "clip");
        Directory.CreateDirectory(modelDir);
        ClipConfigJson.Write(ClipShape, Path.Combine(modelDir, ClipCheckpoint.ConfigFile));
        var manifest = await Artefacts.PutDirectoryAsync(modelDir);
        await Registry.Artefacts.RecordAsync(manifest);
        Clip = await Registry.Models.RegisterAsync(new NewModel("tiny-clip", ModelFamily.Clip, CheckpointSha256: manifest.Sha256));

        Vlm = await Registry.Models.RegisterAsync(new NewModel("tiny-vlm", ModelFamily.Vlm));
        var setDir = Path.Combine(Root, "set", VlmHook);
        Directory.CreateDirectory(setDir);
        var index = new ActivationSetIndex { HookName = VlmHook, D = VlmWidth, ShardRows = 8, Shards = [new ActivationShard("shard-0000.safetensors", 8, new string('a', 64))] };
        File.WriteAllText(Path.Combine(setDir, ActivationSetIndex.FileName), index.ToJson());
        var setManifest = await Artefacts.PutDirectoryAsync(Path.Combine(Root, "set"));
        await Registry.Artefacts.RecordAsync(setManifest);
        await Registry.ActivationSets.RegisterAsync(new NewActivationSet(Vlm.Id, [VlmHook], "{}", 1, 8, setManifest.Sha256));
    }

    public async Task DisposeAsync()
    {
        await Registry.DisposeAsync();
        if (_pg is not null) await _pg.DisposeAsync();
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { }
    }
}

public class DictionaryInterchangeTests(InterchangeRegistry fx) : IClassFixture<InterchangeRegistry>
{
    const string ClipHook = "vision.blocks.1.hook_resid_post";

    string NewDir(string name) => Path.Combine(fx.Root, $"{name}-{Guid.NewGuid():N}");

    /// <summary>A trained-looking dictionary: random weights, stored and registered as the trainer registers one.</summary>
    async Task<(DictionaryRecord Record, SparseAutoencoder Sae)> RegisterTrainedAsync(SaeKind kind, double normScale)
    {
        var sae = SaeFactory.Create(new SaeConfig { Kind = kind, DIn = 32, DSae = 96, K = 8, Seed = 3 });
        using (no_grad())
        {
            using var gen = new Generator(4);
            sae.b_enc.copy_(randn(96, generator: gen) * 0.2);
            sae.b_dec.copy_(randn(32, generator: gen));
        }
        var path = Path.Combine(fx.Root, $"sae-{Guid.NewGuid():N}.safetensors");
        // Our checkpoint format with the normalisation factor the trainer would have estimated.
        SafeTensors.Save(path, sae.Parameters.Concat(sae.Buffers.Select(b => ("buffer." + b.Name, b.Buffer))).ToDictionary(p => p.Item1, p => p.Item2),
            new Dictionary<string, string> { ["format"] = SaeCheckpoint.Format, ["config"] = sae.Config.ToJson(), ["norm_scale"] = normScale.ToString("R", System.Globalization.CultureInfo.InvariantCulture) });
        sae.Dispose();
        sae = SaeCheckpoint.LoadSae(path);
        Assert.Equal(normScale, sae.NormScale);
        var stored = await fx.Artefacts.PutFileAsync(path, ArtefactKind.Safetensors);
        await fx.Registry.Artefacts.RecordAsync(stored);
        var arch = kind switch { SaeKind.TopK => SaeArchitecture.TopK, SaeKind.JumpRelu => SaeArchitecture.JumpRelu, SaeKind.BatchTopK => SaeArchitecture.BatchTopK, _ => SaeArchitecture.Relu };
        var record = await fx.Registry.Dictionaries.RegisterAsync(new NewDictionary(fx.Clip.Id, ClipHook, arch, 32, 96, stored.Sha256, sae.Config.ToJson()));
        return (record, sae);
    }

    [Theory]
    [InlineData(SaeKind.TopK, 1.0)]
    [InlineData(SaeKind.JumpRelu, 1.0)]
    [InlineData(SaeKind.Relu, 0.8)]
    public async Task ExportThenImportRegistersAnIdenticalDictionaryWithItsLineage(SaeKind kind, double normScale)
    {
        var (original, sae) = await RegisterTrainedAsync(kind, normScale);
        using var _ = sae;
        var dir = NewDir("export");
        var exported = await DictionaryInterchange.ExportAsync(fx.Registry, fx.Artefacts, original.Id, dir, default);
        Assert.True(File.Exists(Path.Combine(dir, "cfg.json")) && File.Exists(Path.Combine(dir, "sae_weights.safetensors")));
        var cfg = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "cfg.json")))!;
        Assert.Equal("tiny-clip", (string?)cfg["metadata"]!["model_name"]);
        Assert.Equal(ClipHook, (string?)cfg["metadata"]!["hook_name"]);

        var done = await DictionaryInterchange.ImportAsync(fx.Registry, fx.Artefacts, dir, fx.Clip.Id, ClipHook, "round trip", default);
        var d = done.Dictionary;
        Assert.NotEqual(original.Id, d.Id);
        Assert.Equal((fx.Clip.Id, ClipHook, original.Architecture, 32, 96), (d.ModelId, d.HookPoint, d.Architecture, d.DIn, d.DSae));
        Assert.Contains("config.json", done.Width.Source);
        var lineage = JsonNode.Parse(d.ConfigJson)!;
        Assert.Equal(DictionaryInterchange.ImportSource, (string?)lineage["source"]);
        Assert.Equal("round trip", (string?)lineage["name"]);
        Assert.Equal(exported.Architecture, (string?)lineage["saelens"]!["cfg"]!["architecture"]);
        Assert.Equal(Path.GetFullPath(dir), (string?)lineage["saelens"]!["directory"]);
        Assert.Equal(sae.Config, SaeConfig.FromJson(d.ConfigJson)); // the stored config still reads as an SaeConfig

        using var back = SaeCheckpoint.LoadSae(await fx.Artefacts.GetVerifiedPathAsync(d.CheckpointSha256));
        using var scope = NewDisposeScope();
        using var gen = new Generator(9);
        var x = randn(new long[] { 48, 32 }, generator: gen) * 2;
        var z = sae.Encode(x);
        var zBack = back.Encode(x);
        Assert.True(z.count_nonzero().item<long>() > 0);
        Assert.True(SaeLensImporter.BitEqual(z, zBack));
        Assert.True(SaeLensImporter.BitEqual(sae.Decode(z), back.Decode(zBack)));
    }

    [Fact]
    public async Task AnImportWhoseDInIsNotTheHooksWidthIsRefusedAndNothingIsStored()
    {
        var (original, sae) = await RegisterTrainedAsync(SaeKind.TopK, 1.0);
        sae.Dispose();
        var dir = NewDir("mismatch");
        await DictionaryInterchange.ExportAsync(fx.Registry, fx.Artefacts, original.Id, dir, default);
        var before = (await fx.Registry.Dictionaries.ListAsync(limit: 1000)).Count;
        var artefactsBefore = (await fx.Registry.Artefacts.ListAsync(limit: 1000)).Count;

        // The MLP's post-activation is intermediate_size (128) wide, not 32.
        var e = await Assert.ThrowsAsync<ArgumentException>(() =>
            DictionaryInterchange.ImportAsync(fx.Registry, fx.Artefacts, dir, fx.Clip.Id, "vision.blocks.0.mlp.hook_post", null, default));
        Assert.Equal($"{Path.Combine(Path.GetFullPath(dir), "cfg.json")}: d_in = 32, but hook 'vision.blocks.0.mlp.hook_post' of model {fx.Clip.Id} is 128 wide (model {fx.Clip.Id}'s config.json); refused", e.Message);

        // A model whose width comes from an activation set of the hook.
        e = await Assert.ThrowsAsync<ArgumentException>(() =>
            DictionaryInterchange.ImportAsync(fx.Registry, fx.Artefacts, dir, fx.Vlm.Id, InterchangeRegistry.VlmHook, null, default));
        Assert.Contains($"is {InterchangeRegistry.VlmWidth} wide (activation set ", e.Message);

        // No activation set and no config: the width is unknown, so the import is refused rather than guessed.
        e = await Assert.ThrowsAsync<ArgumentException>(() =>
            DictionaryInterchange.ImportAsync(fx.Registry, fx.Artefacts, dir, fx.Vlm.Id, "vision.blocks.0.hook_resid_post", null, default));
        Assert.StartsWith("cannot tell how wide hook 'vision.blocks.0.hook_resid_post'", e.Message);

        e = await Assert.ThrowsAsync<ArgumentException>(() =>
            DictionaryInterchange.ImportAsync(fx.Registry, fx.Artefacts, dir, fx.Clip.Id, "vision.blocks.7.hook_resid_post", null, default));
        Assert.Contains("has 2 blocks", e.Message);

        e = await Assert.ThrowsAsync<ArgumentException>(() =>
            DictionaryInterchange.ImportAsync(fx.Registry, fx.Artefacts, dir, "no-such-model", ClipHook, null, default));
        Assert.Equal("model 'no-such-model' is not registered (see `mminterp registry list models`)", e.Message);

        Assert.Equal(before, (await fx.Registry.Dictionaries.ListAsync(limit: 1000)).Count);
        Assert.Equal(artefactsBefore, (await fx.Registry.Artefacts.ListAsync(limit: 1000)).Count);
    }

    [Fact]
    public async Task ADirectoryWrittenBySaeLensImportsAtAHookOfTheRightWidth()
    {
        // As SAELens 6.18's save_model writes a StandardSAE trained on another model's hook names.
        var dir = NewDir("saelens");
        Directory.CreateDirectory(dir);
        using var gen = new Generator(12);
        SafeTensors.Save(Path.Combine(dir, "sae_weights.safetensors"), new Dictionary<string, Tensor>
        {
            ["W_enc"] = randn(new long[] { InterchangeRegistry.VlmWidth, 50 }, generator: gen), ["b_enc"] = zeros(50),
            ["W_dec"] = randn(new long[] { 50, InterchangeRegistry.VlmWidth }, generator: gen), ["b_dec"] = zeros(InterchangeRegistry.VlmWidth),
        });
        File.WriteAllText(Path.Combine(dir, "cfg.json"), $$"""{"d_in": {{InterchangeRegistry.VlmWidth}}, "d_sae": 50, "dtype": "float32", "device": "cpu", "apply_b_dec_to_input": true, "normalize_activations": "none", "reshape_activations": "none", "metadata": {"sae_lens_version": "6.18.0", "sae_lens_training_version": "6.18.0", "model_name": "llava", "hook_name": "blocks.1.hook_resid_post", "hook_head_index": null}, "architecture": "standard"}""");
        var done = await DictionaryInterchange.ImportAsync(fx.Registry, fx.Artefacts, dir, "tiny-vlm", InterchangeRegistry.VlmHook, null, default);
        Assert.Equal(SaeArchitecture.Relu, done.Dictionary.Architecture);
        Assert.Equal(fx.Vlm.Id, done.Dictionary.ModelId);
        Assert.Contains(done.Notes, n => n.Contains("'blocks.1.hook_resid_post'", StringComparison.Ordinal));
        var lineage = JsonNode.Parse(done.Dictionary.ConfigJson)!;
        Assert.Equal("llava", (string?)lineage["saelens"]!["cfg_as_read"]!["metadata"]!["model_name"]);
    }

    /// <summary>The `mminterp` program against this registry and store.</summary>
    async Task<(int Code, string Output)> Cli(params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "mminterp.dll"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.ArgumentList.Add("--db");
        psi.ArgumentList.Add(fx.ConnectionString);
        psi.Environment["MMINTERP_ARTEFACTS"] = fx.Artefacts.Root;
        psi.Environment["MMINTERP_CACHE"] = Path.Combine(fx.Root, "cache");
        psi.Environment.Remove("MMINTERP_CLUSTER");
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await p.WaitForExitAsync(timeout.Token);
        return (p.ExitCode, await stdout + await stderr);
    }

    [Fact]
    public async Task TheCommandsExportAndImportThroughTheProgram()
    {
        var (original, sae) = await RegisterTrainedAsync(SaeKind.TopK, 1.0);
        sae.Dispose();
        var dir = NewDir("cli");
        var export = await Cli("dictionaries", "export", original.Id, "--format", "saelens", dir);
        Assert.True(export.Code == 0, export.Output);
        Assert.Contains("written as a SAELens 'topk' SAE", export.Output);
        var import = await Cli("dictionaries", "import", dir, "--model", fx.Clip.Id, "--hook", ClipHook, "--name", "from the CLI");
        Assert.True(import.Code == 0, import.Output);
        var id = import.Output.Split('\n').Single(l => l.StartsWith("dictionary ", StringComparison.Ordinal)).Split(' ', ':')[1];
        var stored = await fx.Registry.Dictionaries.GetAsync(id);
        Assert.Equal("from the CLI", (string?)JsonNode.Parse(stored!.ConfigJson)!["name"]);
        var refused = await Cli("dictionaries", "import", dir, "--model", fx.Clip.Id, "--hook", "vision.blocks.0.mlp.hook_post");
        Assert.NotEqual(0, refused.Code);
        Assert.Contains("error: ", refused.Output);
        Assert.Contains("d_in = 32, but hook 'vision.blocks.0.mlp.hook_post'", refused.Output);
        Assert.DoesNotContain("   at ", refused.Output);
    }

    [Fact]
    public void TheCommandTakesOnlyTheSaeLensFormat()
    {
        var root = new RootCommand { DictionariesCommand.Create() };
        Assert.NotEmpty(root.Parse(["dictionaries", "export", "sae-1", "out", "--format", "onnx"]).Errors);
        Assert.Empty(root.Parse(["dictionaries", "export", "sae-1", "out", "--format", "saelens"]).Errors);
        Assert.NotEmpty(root.Parse(["dictionaries", "import", "dir", "--model", "m"]).Errors); // --hook is required
        Assert.Empty(root.Parse(["dictionaries", "import", "dir", "--model", "m", "--hook", "h", "--name", "n"]).Errors);
    }
}
