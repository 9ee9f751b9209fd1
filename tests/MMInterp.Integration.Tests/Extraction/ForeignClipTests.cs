using MMInterp.Grains.Contracts;
using MMInterp.Grains.Contracts.Jobs;
using MMInterp.Grains.Placement;
using MMInterp.Grains.Registry;
using MMInterp.Kernels.Activations;
using MMInterp.Kernels.Artefacts;
using MMInterp.Kernels.Checkpoints;
using MMInterp.Kernels.Extraction;
using MMInterp.Kernels.Models.Clip;
using MMInterp.Kernels.ShapesWorld;
using MMInterp.Kernels.Zoo;
using MMInterp.Silo.Hosting;
using MMInterp.Silo.Placement;
using MMInterp.Silo.Storage;
using MMInterp.Silo.Work;
using MMInterp.Tests;
using Orleans.TestingHost;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace MMInterp.Integration.Tests.Extraction;

/// <summary>One silo, a real Postgres registry and a real artefact store, for checkpoints registered from outside.</summary>
public sealed class ForeignClipCluster : IAsyncLifetime
{
    public string Home { get; } = Path.Combine(Path.GetTempPath(), $"mminterp-foreign-{Guid.NewGuid():N}");
    public LocalPostgres Pg = null!;
    public RegistryStore Registry = null!;
    public ArtefactStore Store = null!;
    public InProcessTestCluster Cluster = null!;

    public async Task InitializeAsync()
    {
        Pg = await LocalPostgres.StartThrowawayAsync();
        await Migrations.ApplyAsync(Pg.ConnectionString);
        Registry = RegistryStore.Create(Pg.ConnectionString);
        var work = new WorkOptions(Path.Combine(Home, "artefacts"), Path.Combine(Home, "cache"));
        Store = new ArtefactStore(work.ArtefactRoot);
        var builder = new InProcessTestClusterBuilder(1);
        builder.ConfigureSilo((_, silo) =>
        {
            silo.AdvertiseCompute(SiloCompute.LocalCpu(SiloRole.Both));
            silo.AddMemoryGrainStorage("jobs");
            silo.UseInMemoryReminderService();
            silo.Services.AddMMInterpWork(Pg.ConnectionString, work);
        });
        Cluster = builder.Build();
        await Cluster.DeployAsync();
    }

    public async Task DisposeAsync()
    {
        await Cluster.DisposeAsync();
        await Registry.DisposeAsync();
        await Pg.DisposeAsync();
        try { Directory.Delete(Home, recursive: true); } catch (IOException) { }
    }

    /// <summary>Files in the artefact store (temp files aside): what a refused registration must not add to.</summary>
    public int StoredFiles() => Directory.Exists(Store.Root)
        ? Directory.EnumerateFiles(Store.Root, "*", SearchOption.AllDirectories).Count(f => !f.Contains($"{Path.DirectorySeparatorChar}.tmp{Path.DirectorySeparatorChar}"))
        : 0;

    /// <summary>
    /// A random ShapesWorld-sized CLIP written as HF publishes checkpoints: two shards with an index, biases in bf16
    /// and norms in fp16 (the in-memory model is rounded to the same values first, so it is the model the files hold).
    /// </summary>
    public (ClipModel Model, string Directory) WriteHfClip(string name, long seed)
    {
        torch.manual_seed(seed);
        var zoo = new ClipZooConfig { VisionWidth = 32, VisionLayers = 2, TextWidth = 32, TextLayers = 1, Heads = 2, ProjectionDim = 16 };
        var tokenizer = ShapesVocabulary.Build();
        var model = new ClipModel(zoo.ModelConfig(tokenizer.VocabSize, tokenizer.EndId, tokenizer.StartId));
        model.eval();
        var dir = Path.Combine(Home, name);
        var stored = new Dictionary<string, Tensor>();
        using (no_grad())
            foreach (var (key, p) in model.named_parameters())
            {
                var dtype = key.EndsWith(".bias") ? bfloat16 : key.Contains("norm") ? float16 : float32;
                if (dtype != float32) p.copy_(p.to(dtype).to(float32));
                stored[key] = p.detach().to(dtype);
            }
        Directory.CreateDirectory(dir);
        ClipConfigJson.Write(model.Config, Path.Combine(dir, "config.json"));
        HfShardedWriter.Write(dir, stored, shards: 2);
        tokenizer.Save(dir);
        File.WriteAllText(Path.Combine(dir, "preprocessor_config.json"), """{"crop_size": 32, "image_mean": [0.5, 0.5, 0.5]}""");
        // Other formats of the same weights, as hub downloads often hold: not read, so not stored.
        File.WriteAllBytes(Path.Combine(dir, "flax_model.msgpack"), new byte[1000]);
        return (model, dir);
    }
}

/// <summary>
/// `models add` for an HF CLIPModel directory (the same ForeignModelRegistration the command calls), then an extraction
/// through the grains: the stored rows must equal a direct forward of the model the files hold. A broken directory,
/// or a name already taken, leaves nothing registered and nothing new in the store; removal waits for dependents.
/// </summary>
public sealed class ForeignClipTests(ForeignClipCluster fx) : IClassFixture<ForeignClipCluster>
{
    [Fact]
    public async Task ARegisteredHfClipExtractsTheRowsOfADirectForwardAndIsKeptWhileUsed()
    {
        var (model, dir) = fx.WriteHfClip("hf-clip", seed: 8);
        var registered = await ForeignModelRegistration.RegisterClipAsync(fx.Store, fx.Registry, dir, "foreign clip");
        var id = registered.Model.Id;
        Assert.StartsWith("clip-hf-", id);
        Assert.Equal(ModelFamily.Clip, registered.Model.Family);
        var spec = System.Text.Json.Nodes.JsonNode.Parse(registered.Model.SpecJson)!;
        Assert.Equal(2, spec["shard_count"]!.GetValue<int>());
        Assert.Equal(model.parameters().Sum(p => p.numel()), spec["parameter_count"]!.GetValue<long>());
        Assert.Equal(dir, spec["source_dir"]!.GetValue<string>());
        var manifest = await fx.Store.ReadManifestAsync(registered.Model.CheckpointSha256!);
        Assert.DoesNotContain(manifest.Entries, e => e.Path == "flax_model.msgpack");
        Assert.Contains(manifest.Entries, e => e.Path == "model.safetensors.index.json");

        const string hook = "vision.blocks.1.hook_resid_post";
        var job = fx.Cluster.Client.GetGrain<IExtractionJobGrain>("foreign-ext");
        await job.Start(new ExtractionJobSpec(id, [hook], DatasetSpec.Parse("shapes:val:12"), Shards: 2));
        var progress = await JobWait.UntilFinished(job.Status, minutes: 4);
        Assert.True(progress.Phase == JobPhase.Succeeded, progress.Error);
        var set = (await fx.Registry.ActivationSets.GetAsync(progress.ActivationSetId!))!;
        Assert.Equal(id, set.ModelId);
        var restored = Path.Combine(fx.Home, "restored");
        await fx.Store.RestoreDirectoryAsync(set.IndexSha256, restored);
        var reader = new ActivationSetReader(Path.Combine(restored, hook));
        var stored = torch.cat(Enumerable.Range(0, reader.Index.Shards.Count).Select(reader.ReadShard).ToList(), 0);
        var direct = ClipActivationExtractor.Extract(model, new ShapesWorldGenerator(), ShapesSplits.Val, 0, 12, [hook]);
        Assert.Equal(direct[hook].shape, stored.shape);
        Assert.True(direct[hook].eq(stored).all().item<bool>(), "rows extracted from the registered checkpoint differ from a direct forward");

        // The activation set (and the extraction run) depend on it: removal is refused, naming them.
        var refused = await Assert.ThrowsAsync<RegistryReferenceException>(() => fx.Registry.Models.DeleteAsync(id));
        Assert.Contains(set.Id, refused.Message);
        Assert.Contains("foreign-ext", refused.Message);
        Assert.NotNull(await fx.Registry.Models.GetAsync(id));
    }

    [Fact]
    public async Task ABrokenDirectoryOrATakenNameLeavesNothingBehindAndAnUnusedModelIsRemoved()
    {
        var (_, good) = fx.WriteHfClip("hf-clip-ok", seed: 9);
        var first = await ForeignModelRegistration.RegisterClipAsync(fx.Store, fx.Registry, good, "to remove");
        var models = (await fx.Registry.Models.ListAsync()).Count;
        var files = fx.StoredFiles();

        var (_, broken) = fx.WriteHfClip("hf-clip-broken", seed: 10);
        var shard = Path.Combine(broken, "model-00002-of-00002.safetensors");
        var bytes = await File.ReadAllBytesAsync(shard);
        await File.WriteAllBytesAsync(shard, bytes[..(bytes.Length / 2)]);
        var e = await Assert.ThrowsAsync<InvalidDataException>(() => ForeignModelRegistration.RegisterClipAsync(fx.Store, fx.Registry, broken, "broken"));
        Assert.Contains("model-00002-of-00002.safetensors", e.Message);

        var (_, other) = fx.WriteHfClip("hf-clip-other", seed: 11);
        var taken = await Assert.ThrowsAsync<RegistryConflictException>(() => ForeignModelRegistration.RegisterClipAsync(fx.Store, fx.Registry, other, "to remove"));
        Assert.Contains(first.Model.Id, taken.Message);

        Assert.Equal(models, (await fx.Registry.Models.ListAsync()).Count);
        Assert.Null(await fx.Registry.Models.GetByNameAsync("broken"));
        Assert.Equal(files, fx.StoredFiles());

        // The same files under another name are the model already registered.
        var again = await ForeignModelRegistration.RegisterClipAsync(fx.Store, fx.Registry, good, "same files");
        Assert.True(again.AlreadyRegistered);
        Assert.Equal(first.Model.Id, again.Model.Id);

        await fx.Registry.Models.DeleteAsync(first.Model.Id);
        Assert.Null(await fx.Registry.Models.GetAsync(first.Model.Id));
        await Assert.ThrowsAsync<RegistryNotFoundException>(() => fx.Registry.Models.DeleteAsync(first.Model.Id));
    }
}
