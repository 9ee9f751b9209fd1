using System.Collections.Concurrent;
using System.Diagnostics;
using MMInterp.Grains.Contracts;
using MMInterp.Grains.Contracts.Jobs;
using MMInterp.Grains.Placement;
using MMInterp.Grains.Registry;
using MMInterp.Kernels.Activations;
using MMInterp.Kernels.Artefacts;
using MMInterp.Kernels.Checkpoints;
using MMInterp.Kernels.Extraction;
using MMInterp.Kernels.Models.Clip;
using MMInterp.Kernels.Sae;
using MMInterp.Kernels.Sae.Training;
using MMInterp.Kernels.ShapesWorld;
using MMInterp.Kernels.Zoo;
using MMInterp.Silo.Hosting;
using MMInterp.Silo.Placement;
using MMInterp.Silo.Storage;
using MMInterp.Silo.Work;
using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;
using TorchSharp;
using Xunit;

namespace MMInterp.Integration.Tests.Extraction;

/// <summary>One three-silo cluster (two accelerators) with a registered random CLIP, shared by the tests below.</summary>
public sealed class ExtractionCluster : IAsyncLifetime
{
    public ConcurrentDictionary<string, SiloRole> Roles { get; } = new();
    public string Home { get; } = Path.Combine(Path.GetTempPath(), $"mminterp-e2e-{Guid.NewGuid():N}");
    public LocalPostgres Pg = null!;
    public RegistryStore Registry = null!;
    public ArtefactStore Store = null!;
    public InProcessTestCluster Cluster = null!;
    public string ModelDir = null!;

    public async Task InitializeAsync()
    {
        Pg = await LocalPostgres.StartThrowawayAsync();
        await Migrations.ApplyAsync(Pg.ConnectionString);
        Registry = RegistryStore.Create(Pg.ConnectionString);
        var work = new WorkOptions(Path.Combine(Home, "artefacts"), Path.Combine(Home, "cache"));
        Store = new ArtefactStore(work.ArtefactRoot);

        // A small random CLIP in HF layout is enough for the mechanics; the zoo tests cover training.
        torch.manual_seed(5);
        var zoo = new ClipZooConfig { VisionWidth = 32, VisionLayers = 2, TextWidth = 32, TextLayers = 1, Heads = 2, ProjectionDim = 16 };
        var tokenizer = ShapesVocabulary.Build();
        using (var model = new ClipModel(zoo.ModelConfig(tokenizer.VocabSize, tokenizer.EndId, tokenizer.StartId)))
        {
            ModelDir = Path.Combine(Home, "model");
            ClipCheckpoint.Save(model, tokenizer, ModelDir);
        }
        await ModelRegistration.RegisterDirectoryAsync(Store, Registry, "clip-e2e", "tiny clip (random)", ModelFamily.Clip, ModelDir, "{}");

        var builder = new InProcessTestClusterBuilder(3);
        builder.ConfigureSilo((options, silo) =>
        {
            // Silos are configured concurrently: count and insert under one lock, or two could both see a free slot.
            SiloRole role;
            lock (Roles) role = Roles.GetOrAdd(options.SiloName, _ => Roles.Count < 2 ? SiloRole.Accelerator : SiloRole.Control);
            silo.AdvertiseCompute(role == SiloRole.Accelerator ? new SiloCompute(role, "cpu", 1, 1L << 30) : SiloCompute.LocalCpu(role));
            silo.AddMemoryGrainStorage("jobs");
            silo.UseInMemoryReminderService();
            silo.Services.AddMMInterpWork(Pg.ConnectionString, work);
            silo.UseMMInterpTracing();
        });
        builder.ConfigureClient(client => client.AddActivityPropagation());
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
}

/// <summary>
/// A real extraction: a registered CLIP, three silos (two accelerators), real Postgres registry, real artefact store.
/// The stored activation set must equal a direct in-process extraction row for row.
/// </summary>
public sealed class ExtractionEndToEndTests(ExtractionCluster fx) : IClassFixture<ExtractionCluster>
{
    [Fact]
    public async Task ShardedExtractionIsRegisteredWithLineageAndEqualsADirectRun()
    {
        const string hook = "vision.blocks.1.hook_resid_post";
        var job = fx.Cluster.Client.GetGrain<IExtractionJobGrain>("ext-1");
        var spec = new ExtractionJobSpec("clip-e2e", [hook, "vision.blocks.0.mlp.hook_post"], DatasetSpec.Parse("shapes:val:40"), Shards: 4);
        await job.Start(spec);
        var progress = await Wait(job);
        Assert.True(progress.Phase == JobPhase.Succeeded, progress.Error);

        var set = await fx.Registry.ActivationSets.GetAsync(progress.ActivationSetId!);
        Assert.NotNull(set);
        Assert.Equal("clip-e2e", set.ModelId);
        Assert.Equal("ext-1", set.ExtractionRunId);
        Assert.Equal(4, set.ShardCount);
        Assert.Equal(40L * 65, set.RowCount); // 40 images x (64 patches + class token)
        Assert.Equal(RunStatus.Succeeded, (await fx.Registry.Runs.GetAsync("ext-1"))!.Status);

        var restored = Path.Combine(fx.Home, "restored");
        await fx.Store.RestoreDirectoryAsync(set.IndexSha256, restored);
        var reader = new ActivationSetReader(Path.Combine(restored, hook));
        Assert.Equal(4, reader.Index.Shards.Count);

        var loaded = ClipCheckpoint.Load(fx.ModelDir);
        var direct = ClipActivationExtractor.Extract(loaded.Model, new ShapesWorldGenerator(), ShapesSplits.Val, 0, 40, [hook]);
        var stored = torch.cat(Enumerable.Range(0, 4).Select(reader.ReadShard).ToList(), 0);
        Assert.Equal(direct[hook].shape, stored.shape);
        Assert.True(direct[hook].eq(stored).all().item<bool>(), "stored activations differ from a direct extraction");

        // Shards and the model grain run on the accelerators only.
        var accelerators = fx.Cluster.Silos.Where(s => fx.Roles[s.Name] == SiloRole.Accelerator).Select(s => s.SiloAddress.ToString()).ToHashSet();
        Assert.All(await job.Outputs(), o => Assert.Contains(o.Silo, accelerators));
        var info = await fx.Cluster.Client.GetGrain<IModelGrain>("clip-e2e").Describe();
        Assert.Contains(info.Silo, accelerators);
        Assert.Contains(hook, info.HookPoints);
        Assert.True(info.Parameters > 10_000);

        // A shard re-run (as after a crash) writes the same content: no new artefact rows.
        var before = (await fx.Registry.Artefacts.ListAsync(limit: 1000)).Count;
        var rerun = await fx.Cluster.Client.GetGrain<IExtractionShardGrain>("ext-1/2").Run(new ShardAssignment("ext-1", 2, 9, spec, 20, 10));
        Assert.Equal((await job.Outputs())[2].ArtefactByHook, rerun.ArtefactByHook);
        Assert.Equal(before, (await fx.Registry.Artefacts.ListAsync(limit: 1000)).Count);
    }

    [Fact]
    public async Task OneTraceRunsFromTheCallerThroughTheGrainsIntoTheKernel()
    {
        var spans = new ConcurrentBag<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name is "MMInterp" or "Microsoft.Orleans.Application" or "test",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = spans.Add,
        };
        ActivitySource.AddActivityListener(listener);
        using var source = new ActivitySource("test");
        ActivityTraceId trace;
        var job = fx.Cluster.Client.GetGrain<IExtractionJobGrain>("ext-trace");
        using (var root = source.StartActivity("caller"))
        {
            trace = root!.TraceId;
            await job.Start(new ExtractionJobSpec("clip-e2e", ["vision.blocks.0.hook_resid_post"], DatasetSpec.Parse("shapes:val:8"), Shards: 2));
        }
        Assert.Equal(JobPhase.Succeeded, (await Wait(job)).Phase);
        var names = spans.Where(a => a.TraceId == trace).Select(a => a.DisplayName).ToHashSet();
        Assert.Contains("extraction.job", names);
        Assert.Contains("extraction.shard", names);
        Assert.Contains("kernel.extract", names);
    }

    [Fact]
    public async Task UnknownHookFailsTheJobWithTheHookNamed()
    {
        var job = fx.Cluster.Client.GetGrain<IExtractionJobGrain>("ext-bad-hook");
        await job.Start(new ExtractionJobSpec("clip-e2e", ["vision.blocks.9.hook_resid_post"], DatasetSpec.Parse("shapes:val:4"), Shards: 1, MaxAttemptsPerShard: 1));
        var progress = await Wait(job);
        Assert.True(progress.Phase == JobPhase.Failed, $"{progress.Phase}: {progress.Error}");
        Assert.Contains("vision.blocks.9.hook_resid_post", progress.Error);
        Assert.Equal(RunStatus.Failed, (await fx.Registry.Runs.GetAsync("ext-bad-hook"))!.Status);
    }

    [Fact]
    public async Task TrainingRunAndSweepTrainOnTheExtractedSetAndRegisterDictionaries()
    {
        const string hook = "vision.blocks.1.hook_resid_post";
        var job = fx.Cluster.Client.GetGrain<IExtractionJobGrain>("ext-train");
        await job.Start(new ExtractionJobSpec("clip-e2e", [hook], DatasetSpec.Parse("shapes:train:64"), Shards: 2));
        var extracted = await Wait(job);
        Assert.True(extracted.Phase == JobPhase.Succeeded, extracted.Error);

        var sae = new SaeConfig { Kind = SaeKind.TopK, DIn = 32, DSae = 64, K = 8 }.ToJson();
        var training = new SaeTrainingConfig { Lr = 3e-3 }.ToJson();
        var spec = new TrainingRunSpec(extracted.ActivationSetId!, hook, sae, training, Steps: 60, CheckpointEvery: 20, Seed: 3, BatchSize: 128, LogEvery: 10);
        var run = fx.Cluster.Client.GetGrain<ITrainingRunGrain>("run-1");
        await run.Start(spec);
        var done = await WaitRun(run);
        Assert.True(done.Phase == JobPhase.Succeeded, done.Error);

        var last = await run.LastCheckpoint();
        Assert.NotNull(last);
        Assert.Equal(60, last.Step);
        Assert.InRange(last.Metrics["fvu"], 0, 0.9); // a TopK SAE explains a good part of the variance after 60 steps
        Assert.InRange(last.Metrics["l0"], 1, 8.0001);
        var dictionary = await fx.Registry.Dictionaries.GetAsync("run-1");
        Assert.NotNull(dictionary);
        Assert.Equal("clip-e2e", dictionary.ModelId);
        Assert.Equal(extracted.ActivationSetId, dictionary.ActivationSetId);
        await fx.Store.VerifyAsync(last.Artefact);
        var fvu = await fx.Registry.Metrics.ReadAsync("run-1", "fvu");
        Assert.Equal(Enumerable.Range(1, 6).Select(i => i * 10L), fvu.Select(p => p.Step));

        var sweep = fx.Cluster.Client.GetGrain<ISweepGrain>("sweep-1");
        await sweep.Start(new SweepSpec(spec with { Steps = 30, CheckpointEvery = 10 }, new Dictionary<string, IReadOnlyList<string>> { ["sae.K"] = ["2", "16"] }));
        var deadline = DateTime.UtcNow.AddMinutes(3);
        JobProgress sp;
        while (!(sp = await sweep.Status()).Finished && DateTime.UtcNow < deadline) await Task.Delay(300);
        Assert.Equal(JobPhase.Succeeded, sp.Phase);
        var results = await sweep.Results();
        Assert.Equal(2, results.Count);
        Assert.All(results, r => Assert.Equal(JobPhase.Succeeded, r.Phase));
        // The sparser SAE has the lower L0 and the higher FVU: both are on the front.
        var byK = results.OrderBy(r => r.L0).ToList();
        Assert.True(byK[0].Fvu > byK[1].Fvu, $"k=2 fvu {byK[0].Fvu} should exceed k=16 fvu {byK[1].Fvu}");
        Assert.All(results, r => Assert.True(r.OnFront));
        Assert.Equal(2, (await fx.Registry.Runs.ListAsync(parentRunId: "sweep-1")).Count);
    }

    [Fact]
    public async Task ASweepTrainsPointsSharingTheirReadsAsOnePackWithADictionaryPerPoint()
    {
        const string hook = "vision.blocks.1.hook_resid_post";
        var job = fx.Cluster.Client.GetGrain<IExtractionJobGrain>("ext-pack");
        await job.Start(new ExtractionJobSpec("clip-e2e", [hook], DatasetSpec.Parse("shapes:train:48"), Shards: 2));
        var extracted = await Wait(job);
        Assert.True(extracted.Phase == JobPhase.Succeeded, extracted.Error);

        var sae = new SaeConfig { Kind = SaeKind.TopK, DIn = 32, DSae = 64, K = 8 }.ToJson();
        var spec = new TrainingRunSpec(extracted.ActivationSetId!, hook, sae, new SaeTrainingConfig { Lr = 3e-3 }.ToJson(), Steps: 30,
            CheckpointEvery: 10, Seed: 5, BatchSize: 128, LogEvery: 10);
        var sweepSpec = new SweepSpec(spec, new Dictionary<string, IReadOnlyList<string>> { ["sae.K"] = ["2", "4", "8"] });
        var sweep = fx.Cluster.Client.GetGrain<ISweepGrain>("sweep-pack");
        await sweep.Start(sweepSpec);
        var deadline = DateTime.UtcNow.AddMinutes(3);
        JobProgress sp;
        while (!(sp = await sweep.Status()).Finished && DateTime.UtcNow < deadline) await Task.Delay(300);
        Assert.Equal(JobPhase.Succeeded, sp.Phase);
        Assert.All(await sweep.Results(), r => Assert.Equal(JobPhase.Succeeded, r.Phase));

        // One pack trained all three points, launched once.
        var pack = fx.Cluster.Client.GetGrain<ITrainingPackGrain>("sweep-pack-p000");
        var packed = await pack.Status();
        Assert.Equal((JobPhase.Succeeded, 3, 3), (packed.Phase, packed.Done, packed.Total));
        var packHost = await pack.Host();
        Assert.Equal(1, packHost.Starts);
        Assert.Equal(JobPhase.Pending, (await fx.Cluster.Client.GetGrain<ITrainingPackGrain>("sweep-pack-p001").Status()).Phase); // no second pack

        // Each point is still a run of its own: registry row, checkpoint, metric series, dictionary.
        var runs = await fx.Registry.Runs.ListAsync(parentRunId: "sweep-pack");
        Assert.Equal(3, runs.Count);
        var weights = new HashSet<string>();
        foreach (var id in runs.Select(r => r.Id))
        {
            Assert.Equal(RunStatus.Succeeded, runs.Single(r => r.Id == id).Status);
            var run = fx.Cluster.Client.GetGrain<ITrainingRunGrain>(id);
            Assert.Equal(30, (await run.LastCheckpoint())!.Step);
            Assert.Equal(packHost, await run.Host());
            Assert.Equal([10L, 20, 30], (await fx.Registry.Metrics.ReadAsync(id, "fvu")).Select(p => p.Step));
            var dictionary = await fx.Registry.Dictionaries.GetAsync(id);
            Assert.NotNull(dictionary);
            Assert.Equal(id, dictionary.TrainingRunId);
            weights.Add(dictionary.CheckpointSha256);
        }
        Assert.Equal(3, weights.Count);

        // A packed point ends with the very weights a run of its own gives.
        var point = sweepSpec.Expand("sweep-pack")[1].Spec with { SweepId = null };
        var alone = fx.Cluster.Client.GetGrain<ITrainingRunGrain>("pack-alone");
        await alone.Start(point);
        var aloneDone = await WaitRun(alone);
        Assert.True(aloneDone.Phase == JobPhase.Succeeded, aloneDone.Error);
        Assert.Equal((await fx.Registry.Dictionaries.GetAsync("sweep-pack-r001"))!.CheckpointSha256,
            (await fx.Registry.Dictionaries.GetAsync("pack-alone"))!.CheckpointSha256);
        Assert.Equal((await alone.LastCheckpoint())!.Metrics, (await fx.Cluster.Client.GetGrain<ITrainingRunGrain>("sweep-pack-r001").LastCheckpoint())!.Metrics);
    }

    [Fact]
    public async Task CancellingOnePackedRunLeavesTheOthersTraining()
    {
        const string hook = "vision.blocks.0.hook_resid_post";
        var job = fx.Cluster.Client.GetGrain<IExtractionJobGrain>("ext-pack-cancel");
        await job.Start(new ExtractionJobSpec("clip-e2e", [hook], DatasetSpec.Parse("shapes:train:32"), Shards: 1));
        var extracted = await Wait(job);
        Assert.True(extracted.Phase == JobPhase.Succeeded, extracted.Error);

        var sae = new SaeConfig { Kind = SaeKind.Relu, DIn = 32, DSae = 64 }.ToJson();
        var spec = new TrainingRunSpec(extracted.ActivationSetId!, hook, sae, new SaeTrainingConfig().ToJson(), Steps: 1_000_000, CheckpointEvery: 50, Seed: 1, BatchSize: 64, LogEvery: 50);
        var sweep = fx.Cluster.Client.GetGrain<ISweepGrain>("sweep-pack-cancel");
        await sweep.Start(new SweepSpec(spec, new Dictionary<string, IReadOnlyList<string>> { ["training.Lr"] = ["0.001", "0.003"] }));
        var cancelled = fx.Cluster.Client.GetGrain<ITrainingRunGrain>("sweep-pack-cancel-r000");
        var other = fx.Cluster.Client.GetGrain<ITrainingRunGrain>("sweep-pack-cancel-r001");
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while ((await cancelled.Status()).Done < 50 && DateTime.UtcNow < deadline) await Task.Delay(100);
        await cancelled.Cancel();
        var stopped = await cancelled.Status();
        Assert.Equal(JobPhase.Cancelled, stopped.Phase);
        Assert.Equal(RunStatus.Cancelled, (await fx.Registry.Runs.GetAsync("sweep-pack-cancel-r000"))!.Status);

        // The pack goes on training the other member; the cancelled one stays where it stopped.
        var before = (await other.Status()).Done;
        while ((await other.Status()).Done < before + 100 && DateTime.UtcNow < deadline) await Task.Delay(100);
        Assert.True((await other.Status()).Done >= before + 100, "the other packed run stopped training when one member was cancelled");
        Assert.Equal(JobPhase.Running, (await other.Status()).Phase);
        Assert.Equal(stopped.Done, (await cancelled.Status()).Done);

        // Cancelling the sweep drops the last member: the pack ends, nothing is registered.
        await sweep.Cancel();
        var pack = fx.Cluster.Client.GetGrain<ITrainingPackGrain>("sweep-pack-cancel-p000");
        while (!(await pack.Status()).Finished && DateTime.UtcNow < deadline) await Task.Delay(100);
        Assert.True((await pack.Status()).Finished, "the pack kept training after all its runs were cancelled");
        Assert.Equal(JobPhase.Cancelled, (await other.Status()).Phase);
        Assert.Null(await fx.Registry.Dictionaries.GetAsync("sweep-pack-cancel-r000"));
        Assert.Null(await fx.Registry.Dictionaries.GetAsync("sweep-pack-cancel-r001"));
    }

    [Fact]
    public async Task CancellingARunningTrainingStopsItAndRecordsIt()
    {
        const string hook = "vision.blocks.0.hook_resid_post";
        var job = fx.Cluster.Client.GetGrain<IExtractionJobGrain>("ext-cancel");
        await job.Start(new ExtractionJobSpec("clip-e2e", [hook], DatasetSpec.Parse("shapes:train:32"), Shards: 1));
        var extracted = await Wait(job);
        Assert.True(extracted.Phase == JobPhase.Succeeded, extracted.Error);

        var sae = new SaeConfig { Kind = SaeKind.Relu, DIn = 32, DSae = 64 }.ToJson();
        var run = fx.Cluster.Client.GetGrain<ITrainingRunGrain>("run-cancel");
        await run.Start(new TrainingRunSpec(extracted.ActivationSetId!, hook, sae, new SaeTrainingConfig().ToJson(), Steps: 1_000_000, CheckpointEvery: 50, Seed: 1, BatchSize: 64, LogEvery: 50));
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while ((await run.Status()).Done < 50 && DateTime.UtcNow < deadline) await Task.Delay(100);
        await run.Cancel();
        var cancelled = await run.Status();
        Assert.Equal(JobPhase.Cancelled, cancelled.Phase);
        Assert.Equal(RunStatus.Cancelled, (await fx.Registry.Runs.GetAsync("run-cancel"))!.Status);
        await Task.Delay(1500);
        // Nothing moves after a cancel: the trainer stopped.
        Assert.Equal(cancelled.Done, (await run.Status()).Done);
        Assert.Null(await fx.Registry.Dictionaries.GetAsync("run-cancel"));
    }

    static async Task<JobProgress> WaitRun(ITrainingRunGrain run)
    {
        var deadline = DateTime.UtcNow.AddMinutes(3);
        while (true)
        {
            var p = await run.Status();
            if (p.Finished || DateTime.UtcNow > deadline) return p;
            await Task.Delay(200);
        }
    }

    static async Task<JobProgress> Wait(IExtractionJobGrain job)
    {
        var deadline = DateTime.UtcNow.AddMinutes(3);
        while (true)
        {
            var p = await job.Status();
            if (p.Finished || DateTime.UtcNow > deadline) return p;
            await Task.Delay(200);
        }
    }
}
