using System.Text.Json.Nodes;
using MMInterp.Grains.Contracts;
using MMInterp.Grains.Contracts.Jobs;
using MMInterp.Kernels.Activations;
using MMInterp.Kernels.Datasets;
using MMInterp.Kernels.Extraction;
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
/// directory without a tokeniser is refused before anything is stored. It extracts over a user's images (the
/// checkpoint's preprocessor), skipping and naming an undecodable one.
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

    [Fact]
    public async Task AnHfLlavaExtractsOverAUsersImagesSkippingAndNamingTheCorruptOne()
    {
        string[] hooks = ["vision.blocks.1.hook_resid_post", "lm.blocks.1.hook_resid_post"];
        var dir = WriteLlava("hf-llava-images");
        var registered = await ForeignModelRegistration.RegisterLlavaAsync(fx.Store, fx.Registry, dir, "llava over images");
        var root = Path.Combine(fx.Home, "llava-images");
        Directory.CreateDirectory(root);
        for (var i = 0; i < 4; i++) File.WriteAllBytes(Path.Combine(root, $"img{i}.png"), DatasetExtractionTests.Png(41 + 3 * i, 35, (byte)(60 + i)));
        File.WriteAllText(Path.Combine(root, "broken.png"), "these bytes are no PNG");
        var (record, _) = await DatasetRegistration.RegisterAsync(fx.Store, fx.Registry, $"images:{root}");

        var job = fx.Cluster.Client.GetGrain<IExtractionJobGrain>("ext-llava-images");
        await job.Start(new ExtractionJobSpec(registered.Model.Id, hooks, DatasetSpec.Registered(record.Id, "all", 5), Shards: 2));
        var progress = await MMInterp.Tests.JobWait.UntilFinished(job.Status, 3);
        Assert.True(progress.Phase == JobPhase.Succeeded, progress.Error);
        Assert.Equal(1, progress.Skipped);
        Assert.StartsWith("broken.png: ", Assert.Single((await job.Outputs()).SelectMany(o => o.Skipped ?? [])));

        // 4 good images: every vision token (16 patches + class) at the vision hook, the 16 image features in the decoder.
        var set = (await fx.Registry.ActivationSets.GetAsync(progress.ActivationSetId!))!;
        var restored = Path.Combine(fx.Home, "restored-llava-images");
        await fx.Store.RestoreDirectoryAsync(set.IndexSha256, restored);
        var local = ImageDatasets.Open($"images:{root}");
        var loaded = LlavaCheckpoint.Load(dir, new LlavaLoadOptions { LoadTokenizer = false });
        using var kernel = new LlavaActivationModel(loaded.Model, loaded.ImageProcessor);
        var direct = kernel.ExtractImages(local, Enumerable.Range(0, 5).ToList(), hooks);
        Assert.Equal(4, direct.Images);
        foreach (var (hook, rows) in new[] { (hooks[0], 17L), (hooks[1], 16L) })
        {
            var reader = new ActivationSetReader(Path.Combine(restored, hook));
            var stored = cat(Enumerable.Range(0, reader.Index.Shards.Count).Select(reader.ReadShard).ToList(), 0);
            Assert.Equal(new[] { 4 * rows, hook.StartsWith("vision.") ? 32L : 64L }, stored.shape);
            Assert.True(direct.Rows[hook].allclose(stored, rtol: 0, atol: 1e-6), $"stored {hook} differs from a direct extraction");
        }

        // Token selections belong to CLIP's class token; a LLaVA refuses them in one line.
        var e = Assert.Throws<ArgumentException>(() => kernel.ExtractImages(local, [0], hooks, TokenSelection.Patch));
        Assert.Contains("tokens 'patch'", e.Message);
    }

    [Fact]
    public async Task ARegisteredLlavaExtractsShapesWorldScenes()
    {
        string[] hooks = ["vision.blocks.0.hook_resid_post", "lm.blocks.0.hook_resid_post"];
        var dir = WriteLlava("hf-llava-shapes");
        var registered = await ForeignModelRegistration.RegisterLlavaAsync(fx.Store, fx.Registry, dir, "llava over shapes");
        var job = fx.Cluster.Client.GetGrain<IExtractionJobGrain>("ext-llava-shapes");
        await job.Start(new ExtractionJobSpec(registered.Model.Id, hooks, DatasetSpec.Parse("shapes:train:6"), Shards: 2));
        var progress = await MMInterp.Tests.JobWait.UntilFinished(job.Status, 3);
        Assert.True(progress.Phase == JobPhase.Succeeded, progress.Error);

        // The same scenes straight through the kernel: every vision token, the image features in the decoder.
        var set = (await fx.Registry.ActivationSets.GetAsync(progress.ActivationSetId!))!;
        var restored = Path.Combine(fx.Home, "restored-llava-shapes");
        await fx.Store.RestoreDirectoryAsync(set.IndexSha256, restored);
        var loaded = LlavaCheckpoint.Load(dir, new LlavaLoadOptions { LoadTokenizer = false });
        using var kernel = new LlavaActivationModel(loaded.Model, loaded.ImageProcessor);
        var direct = kernel.Extract(MMInterp.Kernels.ShapesWorld.ShapesSplits.Seed("train"), 0, 6, hooks);
        foreach (var (hook, rows) in new[] { (hooks[0], 17L), (hooks[1], 16L) })
        {
            var reader = new ActivationSetReader(Path.Combine(restored, hook));
            var stored = cat(Enumerable.Range(0, reader.Index.Shards.Count).Select(reader.ReadShard).ToList(), 0);
            Assert.Equal(new[] { 6 * rows, hook.StartsWith("vision.") ? 32L : 64L }, stored.shape);
            Assert.True(direct[hook].allclose(stored, rtol: 0, atol: 1e-6), $"stored {hook} differs from a direct extraction");
        }
    }
}
