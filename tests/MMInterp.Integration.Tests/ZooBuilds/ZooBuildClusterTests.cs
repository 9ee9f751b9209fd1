using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using MMInterp.Grains.Contracts.Jobs;
using MMInterp.Grains.Contracts.ZooBuilds;
using MMInterp.Grains.Lifecycle;
using MMInterp.Grains.Placement;
using MMInterp.Grains.Registry;
using MMInterp.Grains.ZooBuilds;
using MMInterp.Kernels.Artefacts;
using MMInterp.Kernels.Checkpoints;
using MMInterp.Kernels.Models.ZooUNet;
using MMInterp.Kernels.Zoo;
using MMInterp.Silo.Hosting;
using MMInterp.Silo.Placement;
using MMInterp.Silo.Storage;
using MMInterp.Silo.Work;
using Orleans.Configuration;
using Orleans.TestingHost;
using Xunit;

namespace MMInterp.Integration.Tests.ZooBuilds;

/// <summary>
/// Three real silos (two accelerators, one control) whose build state and reminders live in a throwaway Postgres, so
/// a build outlives the silo it started on; the zoo builder is the production one.
/// </summary>
public sealed class ZooBuildCluster : IAsyncLifetime
{
    public ConcurrentDictionary<string, SiloRole> Roles { get; } = new();
    public string Home { get; } = Path.Combine(Path.GetTempPath(), $"mminterp-zoo-{Guid.NewGuid():N}");
    public LocalPostgres Pg = null!;
    public RegistryStore Registry = null!;
    public ArtefactStore Store = null!;
    public InProcessTestCluster Cluster = null!;
    public WorkOptions Work = null!;

    public async Task InitializeAsync()
    {
        Pg = await LocalPostgres.StartThrowawayAsync();
        await Migrations.ApplyAsync(Pg.ConnectionString);
        Registry = RegistryStore.Create(Pg.ConnectionString);
        Work = new WorkOptions(Path.Combine(Home, "artefacts"), Path.Combine(Home, "cache"));
        Store = new ArtefactStore(Work.ArtefactRoot);

        var builder = new InProcessTestClusterBuilder(3);
        builder.ConfigureSilo((options, silo) =>
        {
            SiloRole role;
            lock (Roles) role = Roles.GetOrAdd(options.SiloName, _ => Roles.Count < 2 ? SiloRole.Accelerator : SiloRole.Control);
            silo.AdvertiseCompute(role == SiloRole.Accelerator ? new SiloCompute(role, "cpu", 1, 1L << 30) : SiloCompute.LocalCpu(role));
            silo.AddAdoNetGrainStorage("jobs", ob => PostgresProviders.Configure(ob, Pg.ConnectionString));
            silo.UseAdoNetReminderService(o => { o.Invariant = PostgresProviders.Invariant; o.ConnectionString = Pg.ConnectionString; });
            // A lost build is picked up again within seconds, not Orleans' one-minute floor.
            silo.Configure<ReminderOptions>(o => o.MinimumReminderPeriod = TimeSpan.FromSeconds(1));
            silo.Configure<JobOptions>(o => o.ResumeCheck = TimeSpan.FromSeconds(2));
            silo.Services.AddMMInterpWork(Pg.ConnectionString, Work);
        });
        Cluster = builder.Build();
        await Cluster.DeployAsync();
    }

    public IEnumerable<string> Accelerators => Cluster.Silos.Where(s => Roles[s.Name] == SiloRole.Accelerator).Select(s => s.SiloAddress.ToString());

    public async Task DisposeAsync()
    {
        try { await Cluster.DisposeAsync(); } catch (Exception) { /* a stopped silo may refuse a second stop */ }
        await Registry.DisposeAsync();
        await Pg.DisposeAsync();
        try { Directory.Delete(Home, recursive: true); } catch (IOException) { }
    }
}

/// <summary>
/// Zoo builds as grain work: a tiny CLIP recipe is trained by a ZooBuild grain on an accelerator silo, survives the
/// loss of that silo (the build starts again on the other accelerator), and is registered with the build as its
/// lineage; the same recipe again is instant; a build key is bound to its recipe.
/// </summary>
public sealed class ZooBuildClusterTests(ZooBuildCluster fx) : IClassFixture<ZooBuildCluster>
{
    /// <summary>Small enough to train in seconds, long enough (many cheap steps) to still be training when its silo goes.</summary>
    static readonly ClipZooConfig Tiny = new()
    {
        Steps = 1500, BatchSize = 4, VisionWidth = 16, VisionLayers = 1, TextWidth = 16, TextLayers = 1, Heads = 2, ProjectionDim = 8,
        ContextLength = 12, EvalImages = 16, ShapeFamilySize = 2,
    };

    [Fact]
    public async Task AZooBuildRunsOnAnAcceleratorRestartsAfterItsSiloGoesAndRegistersTheModel()
    {
        var spec = ZooBuildSpec.Clip(Tiny);
        var modelId = spec.ModelId();
        var build = fx.Cluster.Client.GetGrain<IZooBuildGrain>(modelId);
        await build.Start(spec);

        // Training, on an accelerator: then that silo goes away.
        var first = await Until(build, s => s.Step > 0 || s.Finished);
        Assert.False(first.Finished, $"the build finished before its silo could be stopped: {first}");
        Assert.Contains(first.Silo, fx.Accelerators);
        Assert.Equal(1, first.Starts);
        await fx.Cluster.StopSiloAsync(fx.Cluster.Silos.Single(s => s.SiloAddress.ToString() == first.Silo));

        // The reminder (or the next call) brings it back on the other accelerator, which trains it from the start.
        var done = await Until(build, s => s.Finished, minutes: 6);
        Assert.True(done.Phase == JobPhase.Succeeded, done.Error);
        Assert.Equal(2, done.Starts);
        Assert.NotEqual(first.Silo, done.Silo);
        Assert.Contains(done.Silo, fx.Accelerators);
        Assert.Equal((modelId, false), (done.ModelId, done.Cached));
        Assert.Equal(done.Total, done.Step);

        // Registered with its lineage: the build is the model's training run, a model_training run that succeeded.
        var model = (await fx.Registry.Models.GetAsync(modelId))!;
        Assert.Equal((ModelFamily.Clip, modelId), (model.Family, model.TrainingRunId));
        var run = (await fx.Registry.Runs.GetAsync(modelId))!;
        Assert.Equal((RunKind.ModelTraining, RunStatus.Succeeded, (long?)Tiny.Steps), (run.Kind, run.Status, run.TotalSteps));
        var metrics = JsonNode.Parse(model.SpecJson)!["metrics"]!;
        Assert.InRange(metrics["ZeroShotColour"]!.GetValue<double>(), 0, 1);
        Assert.Equal(ZooRecipes.ClipRecipe, JsonNode.Parse(model.SpecJson)!["recipe"]!.GetValue<string>());
        // The stored checkpoint loads as a CLIP through the one resolver.
        var dir = await new ModelDirectories(fx.Registry, new ArtefactCache(fx.Store, fx.Work)).DirectoryAsync(modelId, ModelFamily.Clip, default);
        using (var loaded = ClipCheckpoint.Load(dir).Model) Assert.Equal(Tiny.VisionWidth, loaded.Config.Vision.Tower.HiddenSize);

        // The same recipe again: the runner finds the finished build, nothing trains.
        var again = await ZooBuildRunner.RunAsync(fx.Cluster.Client, ZooBuildSpec.Clip(Tiny), IsBuilt, null, cancelOnAbort: false, default);
        Assert.Equal((modelId, modelId, 2), (again.Id, again.ModelId, again.Starts));
        // A recipe built under another recipe's key is refused, naming the key its recipe has.
        var other = ZooBuildSpec.Clip(Tiny with { Seed = 5 });
        var refused = await Assert.ThrowsAsync<ArgumentException>(() => build.Start(other));
        Assert.Contains(other.ModelId(), refused.Message);
    }

    [Fact]
    public async Task ARecipeWhoseModelWasRemovedIsBuiltAgainAsANewAttemptThatFindsItInTheStore()
    {
        // A registered model whose build is over: removing the model makes the next request a second attempt.
        var tiny = Tiny with { Steps = 4, Seed = 3 };
        var spec = ZooBuildSpec.Clip(tiny);
        var modelId = spec.ModelId();
        var first = await ZooBuildRunner.RunAsync(fx.Cluster.Client, spec, IsBuilt, null, cancelOnAbort: false, default);
        Assert.Equal((modelId, JobPhase.Succeeded, false), (first.Id, first.Phase, first.Cached));
        var checkpoint = (await fx.Registry.Models.GetAsync(modelId))!.CheckpointSha256;
        await fx.Registry.Models.DeleteAsync(modelId);

        var second = await ZooBuildRunner.RunAsync(fx.Cluster.Client, spec, IsBuilt, null, cancelOnAbort: false, default);
        Assert.Equal((ZooBuildKeys.Key(modelId, 2), modelId, JobPhase.Succeeded), (second.Id, second.ModelId, second.Phase));
        // Deterministic: the rebuilt weights are the ones stored before (zoo.json beside them records the wall time,
        // so the directory's manifest differs); the new attempt is the model's lineage.
        var rebuilt = (await fx.Registry.Models.GetAsync(modelId))!;
        Assert.Equal(ZooBuildKeys.Key(modelId, 2), rebuilt.TrainingRunId);
        Assert.Equal(await Weights(checkpoint!), await Weights(rebuilt.CheckpointSha256!));
    }

    [Fact]
    public async Task AVlmBuildHasItsClipBuiltFirstByThatRecipesOwnBuildAndNamesItAsItsVisionTower()
    {
        var clip = Tiny with { Steps = 4, Seed = 11 };
        var spec = ZooBuildSpec.Vlm(new VlmZooConfig
        {
            Clip = clip, Steps = 3, BatchSize = 4, LmWidth = 16, LmLayers = 1, LmHeads = 2, PatchAttributeLayer = 0, EvalImages = 16,
        });
        var clipId = spec.Requires()!.ModelId();
        Assert.Equal(ZooBuildSpec.Clip(clip).ModelId(), clipId);
        Assert.Null(await fx.Registry.Models.GetAsync(clipId));

        var built = await ZooBuildRunner.RunAsync(fx.Cluster.Client, spec, IsBuilt, null, cancelOnAbort: false, default);
        Assert.True(built.Phase == JobPhase.Succeeded, built.Error);
        var vlm = (await fx.Registry.Models.GetAsync(built.ModelId!))!;
        Assert.Equal((ModelFamily.Vlm, built.Id), (vlm.Family, vlm.TrainingRunId));
        Assert.Equal(clipId, JsonNode.Parse(vlm.SpecJson)!["vision_init"]!.GetValue<string>());
        // The CLIP is a model of its own, built by its own ZooBuild grain (keyed by its id).
        Assert.Equal(clipId, (await fx.Registry.Models.GetAsync(clipId))!.TrainingRunId);
        Assert.Equal(JobPhase.Succeeded, (await fx.Cluster.Client.GetGrain<IZooBuildGrain>(clipId).Progress()).Phase);
    }

    async Task<string> Weights(string manifest) =>
        (await fx.Store.ReadManifestAsync(manifest)).Entries.Single(e => e.Path == ClipCheckpoint.WeightsFile).Sha256;

    async Task<bool> IsBuilt(string id, CancellationToken ct) =>
        await fx.Registry.Models.GetAsync(id, ct) is { CheckpointSha256: { } sha } && fx.Store.Contains(sha);

    /// <summary>The default recipe's checkpoint ships with the code: its build registers it without training (what the
    /// first quickstart relies on), with the recorded held-out figures, marked as shipped.</summary>
    [Fact]
    public async Task TheDefaultRecipeRegistersTheShippedCheckpointWithoutTraining()
    {
        var spec = ZooBuildSpec.Clip(ClipZooConfig.Default);
        var modelId = spec.ModelId();
        var build = fx.Cluster.Client.GetGrain<IZooBuildGrain>(modelId);
        await build.Start(spec);
        var done = await Until(build, s => s.Finished, minutes: 1);
        Assert.True(done.Phase == JobPhase.Succeeded, done.Error);
        var model = (await fx.Registry.Models.GetAsync(modelId))!;
        var recorded = JsonNode.Parse(model.SpecJson)!;
        Assert.True(recorded["shipped"]!.GetValue<bool>());
        Assert.Equal(ShippedClip.TryRestore(ClipZooConfig.Default, Path.Combine(fx.Home, "shipped-check"))!.Metrics.ZeroShotShape,
            recorded["metrics"]!["ZeroShotShape"]!.GetValue<double>());
        var dir = await new ModelDirectories(fx.Registry, new ArtefactCache(fx.Store, fx.Work)).DirectoryAsync(modelId, ModelFamily.Clip, default);
        Assert.Equal(File.ReadAllBytes(Path.Combine(fx.Home, "shipped-check", ClipCheckpoint.WeightsFile)), File.ReadAllBytes(Path.Combine(dir, ClipCheckpoint.WeightsFile)));
    }

    /// <summary>The zoo U-Net of the default recipe ships too: its build has the default CLIP registered first (shipped),
    /// then registers the shipped U-Net in the diffusion family, and the registered directory loads as a U-Net.</summary>
    [Fact]
    public async Task TheDefaultUNetRecipeRegistersTheShippedUNetAfterItsClip()
    {
        var spec = ZooBuildSpec.UNet(UNetZooConfig.Default, ClipZooConfig.Default);
        var built = await ZooBuildRunner.RunAsync(fx.Cluster.Client, spec, IsBuilt, null, cancelOnAbort: false, default);
        Assert.True(built.Phase == JobPhase.Succeeded, built.Error);
        var model = (await fx.Registry.Models.GetAsync(built.ModelId!))!;
        Assert.Equal(ModelFamily.Diffusion, model.Family);
        var recorded = JsonNode.Parse(model.SpecJson)!;
        Assert.True(recorded["shipped"]!.GetValue<bool>());
        Assert.Equal(ZooBuildSpec.Clip(ClipZooConfig.Default).ModelId(), recorded["text_encoder"]!.GetValue<string>());
        Assert.Equal(ShippedUNet.Metrics!.ShapeAccuracy, recorded["metrics"]!["ShapeAccuracy"]!.GetValue<double>());
        var dir = await new ModelDirectories(fx.Registry, new ArtefactCache(fx.Store, fx.Work)).DirectoryAsync(model.Id, ModelFamily.Diffusion, default);
        using var loaded = ZooDenoiserCheckpoint.Load(dir);
        Assert.Equal(UNetZooConfig.Default, Assert.IsType<UNetZooModel>(loaded).Config);
    }

    /// <summary>A zoo U-Net build has its zoo CLIP built first by that recipe's own build, trains and judges the U-Net,
    /// registers it in the diffusion family conditioned on that CLIP, and the registered directory loads as a U-Net.</summary>
    [Fact]
    public async Task AUNetBuildHasItsClipBuiltFirstAndRegistersALoadableUNet()
    {
        var clip = Tiny with { Steps = 4, Seed = 13 };
        var config = UNetZooConfig.Default with
        {
            Width = 16, HeadWidth = 8, NormGroups = 4, Steps = 3, BatchSize = 4, SampleSteps = 2, EvalImages = 8, ClassifierSteps = 2, CoordinateInput = true, ContextLength = 12, ClipSkip = 1, // the tiny CLIP has one text layer
        };
        var spec = ZooBuildSpec.UNet(config, clip);
        var built = await ZooBuildRunner.RunAsync(fx.Cluster.Client, spec, IsBuilt, null, cancelOnAbort: false, default);
        Assert.True(built.Phase == JobPhase.Succeeded, built.Error);
        var model = (await fx.Registry.Models.GetAsync(built.ModelId!))!;
        Assert.Equal((ModelFamily.Diffusion, built.Id), (model.Family, model.TrainingRunId));
        var recorded = JsonNode.Parse(model.SpecJson)!;
        Assert.Equal(ZooBuildSpec.Clip(clip).ModelId(), recorded["text_encoder"]!.GetValue<string>());
        Assert.Equal(8, recorded["metrics"]!["EvalImages"]!.GetValue<int>());
        var dir = await new ModelDirectories(fx.Registry, new ArtefactCache(fx.Store, fx.Work)).DirectoryAsync(model.Id, ModelFamily.Diffusion, default);
        using var loaded = ZooDenoiserCheckpoint.Load(dir);
        Assert.Equal(config, Assert.IsType<UNetZooModel>(loaded).Config);
    }

    static async Task<ZooBuildStatus> Until(IZooBuildGrain build, Func<ZooBuildStatus, bool> done, double minutes = 3)
    {
        var deadline = DateTime.UtcNow.AddMinutes(minutes);
        ZooBuildStatus? last = null;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                last = await build.Progress();
                if (done(last)) return last;
            }
            catch (Exception) { /* its silo is going: the next call activates it elsewhere */ }
            await Task.Delay(100);
        }
        throw new TimeoutException($"zoo build not there after {minutes} min; last seen {last}");
    }
}
