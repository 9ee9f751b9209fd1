using System.Text.Json.Nodes;
using MMInterp.Grains.Contracts;
using MMInterp.Grains.Registry;
using MMInterp.Kernels.Artefacts;
using MMInterp.Kernels.Checkpoints;
using MMInterp.Kernels.Models.Clip;
using MMInterp.Kernels.Models.Llava;
using MMInterp.Kernels.Models.Llm;
using MMInterp.Silo.Work;
using Xunit;
using static TorchSharp.torch;

namespace MMInterp.Integration.Tests.Extraction;

/// <summary>
/// `models add DIR --family vlm` for an HF LlavaForConditionalGeneration directory (the ForeignModelRegistration the
/// command calls): registered as family vlm with architecture llava and its config in the spec; `models hooks` (the
/// model grain's Describe) lists the vision tower's, projector's and decoder's hook points with their shapes. A
/// directory without a tokeniser is refused before anything is stored.
/// </summary>
public sealed class ForeignLlavaTests(ForeignClipCluster fx) : IClassFixture<ForeignClipCluster>
{
    static readonly string TokenizerDir = Path.Combine(AppContext.BaseDirectory, "LlavaTokenizer");

    /// <summary>A random small LLaVA whose vocabulary fits the tokeniser fixture (its &lt;image&gt; is id 700), bf16
    /// decoder and projector, saved in the newer key layout in two shards.</summary>
    string WriteLlava(string name, bool tokenizer = true)
    {
        var config = new LlavaConfig
        {
            Vision = new ClipVisionConfig { ImageSize = 32, PatchSize = 8, Tower = new ClipTowerConfig { HiddenSize = 32, IntermediateSize = 64, NumLayers = 2, NumHeads = 4 } },
            Text = new LlamaConfig { HiddenSize = 64, IntermediateSize = 96, NumLayers = 2, NumHeads = 4, NumKvHeads = 2, VocabSize = 702, MaxPositions = 512 },
            ImageTokenId = 700,
        };
        var dir = Path.Combine(fx.Home, name);
        manual_seed(5);
        using (var model = new LlavaForConditionalGeneration(config, ScalarType.BFloat16)) LlavaCheckpoint.Save(model, dir, LlavaKeyLayout.Newer, shards: 2);
        if (tokenizer)
            foreach (var f in Directory.GetFiles(TokenizerDir)) File.Copy(f, Path.Combine(dir, Path.GetFileName(f)));
        return dir;
    }

    [Fact]
    public async Task AnHfLlavaRegistersAsAVlmAndListsItsHooks()
    {
        var dir = WriteLlava("hf-llava");
        var registered = await ForeignModelRegistration.RegisterLlavaAsync(fx.Store, fx.Registry, dir, "foreign llava");
        Assert.StartsWith("llava-hf-", registered.Model.Id);
        Assert.Equal(ModelFamily.Vlm, registered.Model.Family);
        var spec = JsonNode.Parse(registered.Model.SpecJson)!;
        Assert.Equal("llava", spec["architecture"]!.GetValue<string>());
        Assert.Equal("newer", spec["key_layout"]!.GetValue<string>());
        Assert.Equal(2, spec["shard_count"]!.GetValue<int>());
        Assert.Equal(16, spec["config"]!["image_tokens"]!.GetValue<int>());
        Assert.Equal(702, spec["config"]!["text"]!["vocab_size"]!.GetValue<int>());
        var manifest = await fx.Store.ReadManifestAsync(registered.Model.CheckpointSha256!);
        Assert.Contains(manifest.Entries, e => e.Path == "tokenizer.model");
        Assert.Contains(manifest.Entries, e => e.Path == "model.safetensors.index.json");

        var again = await ForeignModelRegistration.RegisterLlavaAsync(fx.Store, fx.Registry, dir, "same llava other name");
        Assert.True(again.AlreadyRegistered);
        Assert.Equal(registered.Model.Id, again.Model.Id);

        var info = await fx.Cluster.Client.GetGrain<IModelGrain>(registered.Model.Id).Describe();
        Assert.Equal("vlm", info.Family);
        var shapes = info.HookShapes!;
        Assert.Equal(new long[] { 17, 32 }, shapes["vision.blocks.1.hook_resid_post"]); // every vision token
        Assert.Equal(new long[] { 16, 64 }, shapes[LlavaProjector.OutHook]);            // the image features
        Assert.Equal(new long[] { 16, 64 }, shapes["lm.blocks.1.hook_resid_post"]);       // the image positions
        Assert.Contains("lm.blocks.0.attn.hook_z", info.HookPoints);
    }

    [Fact]
    public async Task ADirectoryWithoutATokeniserIsRefusedAndNothingIsStored()
    {
        var dir = WriteLlava("no-tokenizer", tokenizer: false);
        var files = fx.StoredFiles();
        var e = await Assert.ThrowsAsync<FileNotFoundException>(() => ForeignModelRegistration.RegisterLlavaAsync(fx.Store, fx.Registry, dir, "no tokenizer"));
        Assert.Contains("no tokeniser", e.Message);
        Assert.DoesNotContain('\n', e.Message);
        Assert.Equal(files, fx.StoredFiles());
        Assert.Null(await fx.Registry.Models.GetByNameAsync("no tokenizer"));
    }
}
