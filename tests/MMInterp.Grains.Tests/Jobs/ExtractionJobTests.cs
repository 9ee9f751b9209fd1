using System.Collections.Concurrent;
using MMInterp.Grains.Contracts.Jobs;
using MMInterp.Grains.ExtractionJobs;
using MMInterp.Grains.Lifecycle;
using MMInterp.Grains.Placement;
using MMInterp.Grains.Registry;
using MMInterp.Silo.Placement;
using MMInterp.Silo.Storage;
using MMInterp.Silo.Work;
using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;
using Xunit;

namespace MMInterp.Grains.Tests.Jobs;

/// <summary>
/// The extraction job engine on three real silos (two accelerators, one control): shards spread over the
/// accelerators, a failing shard is retried, progress is persisted, and the result is finalised once.
/// The extractor here injects one failure into otherwise deterministic shard work.
/// </summary>
public sealed class ExtractionJobTests : IAsyncLifetime
{
    static readonly ConcurrentDictionary<string, int> Calls = new();
    static readonly ConcurrentBag<string> Finalized = new();
    readonly ConcurrentDictionary<string, SiloRole> _roles = new();
    InProcessTestCluster _cluster = null!;
    LocalPostgres _pg = null!;
    RegistryStore _registry = null!;

    sealed class FlakyExtractor : IShardExtractor
    {
        public Task<ShardOutput> ExtractAsync(ShardAssignment a, string silo, DeviceSlot slot, CancellationToken ct)
        {
            var n = Calls.AddOrUpdate($"{a.JobId}/{a.Index}", 1, (_, c) => c + 1);
            if (a.Index == 1 && n == 1) throw new IOException("disk hiccup on first attempt");
            if (a.JobId.StartsWith("corrupt") && a.Index == 2) throw new InvalidDataException($"model file of {a.Spec.ModelId} does not hash to its sha256");
            // Deterministic per-shard content stands in for an artefact hash.
            var hashes = a.Spec.Hooks.ToDictionary(h => h, h => $"{h}:{a.Start}-{a.Start + a.Count}");
            return Task.FromResult(new ShardOutput(a.Index, hashes, a.Count, silo));
        }

        public Task<string> FinalizeAsync(string jobId, ExtractionJobSpec spec, IReadOnlyList<ShardOutput> outputs, CancellationToken ct)
        {
            Assert.Equal(Enumerable.Range(0, spec.Shards), outputs.Select(o => o.Index));
            Assert.Equal(spec.Dataset.Count, outputs.Sum(o => o.Rows));
            Finalized.Add(jobId);
            return Task.FromResult($"actset-{jobId}");
        }
    }

    public async Task InitializeAsync()
    {
        _pg = await LocalPostgres.StartThrowawayAsync();
        await Migrations.ApplyAsync(_pg.ConnectionString);
        _registry = RegistryStore.Create(_pg.ConnectionString);
        var builder = new InProcessTestClusterBuilder(3);
        builder.ConfigureSilo((options, silo) =>
        {
            // Silos are configured concurrently: count and insert under one lock, or two could both see a free slot.
            SiloRole role;
            lock (_roles) role = _roles.GetOrAdd(options.SiloName, _ => _roles.Count < 2 ? SiloRole.Accelerator : SiloRole.Control);
            silo.AdvertiseCompute(role == SiloRole.Accelerator ? new SiloCompute(role, "cpu", 1, 1L << 30) : SiloCompute.LocalCpu(role));
            silo.AddMemoryGrainStorage("jobs");
            silo.UseInMemoryReminderService();
            silo.Services.AddSingleton<IShardExtractor, FlakyExtractor>();
            silo.Services.Configure<JobOptions>(o => o.RetryDelays = [TimeSpan.FromMilliseconds(200)]);
            silo.Services.AddSingleton<IRunRecorder>(new RegistryRunRecorder(_registry));
        });
        _cluster = builder.Build();
        await _cluster.DeployAsync();
    }

    public async Task DisposeAsync()
    {
        await _cluster.DisposeAsync();
        await _registry.DisposeAsync();
        await _pg.DisposeAsync();
    }

    [Fact]
    public async Task ShardsSpreadOverAcceleratorsFailuresRetryAndTheSetIsFinalisedOnce()
    {
        var job = _cluster.Client.GetGrain<IExtractionJobGrain>("job-a");
        var spec = new ExtractionJobSpec("clip-tiny", ["vision.blocks.1.hook_resid_post"], DatasetSpec.Parse("shapes:train:1000"), Shards: 8);
        await job.Start(spec);

        var progress = await JobWait.UntilFinished(job.Status, minutes: 1);
        Assert.Equal(JobPhase.Succeeded, progress.Phase);
        Assert.Equal(8, progress.Done);
        Assert.Equal("actset-job-a", progress.ActivationSetId);
        Assert.Single(Finalized, "job-a");
        Assert.Equal(2, Calls["job-a/1"]);
        var row = await _registry.Runs.GetAsync("job-a");
        Assert.NotNull(row);
        Assert.Equal(RunStatus.Succeeded, row.Status);
        Assert.Equal(RunKind.Extraction, row.Kind);
        Assert.Equal(1.0, row.Progress);

        var outputs = await job.Outputs();
        var accelerators = _cluster.Silos.Where(s => _roles[s.Name] == SiloRole.Accelerator).Select(s => s.SiloAddress.ToString()).ToHashSet();
        Assert.All(outputs, o => Assert.Contains(o.Silo, accelerators));
        // Evenly: shard i goes to accelerator slot i mod 2, whatever the shard grains' ids hash to.
        Assert.Equal([4, 4], outputs.GroupBy(o => o.Silo).Select(g => g.Count()).ToArray());

        // Starting again with the same spec is a no-op; another spec under the same id is refused.
        Assert.Equal(JobPhase.Succeeded, (await job.Start(spec)).Phase);
        await Assert.ThrowsAsync<InvalidOperationException>(() => job.Start(spec with { Shards = 4 }));
    }

    [Fact]
    public async Task BadSpecIsRejectedWithItsReason()
    {
        var job = _cluster.Client.GetGrain<IExtractionJobGrain>("job-bad");
        var e = await Assert.ThrowsAsync<ArgumentException>(() =>
            job.Start(new ExtractionJobSpec("m", ["h"], DatasetSpec.Parse("shapes:train:4"), Shards: 9)));
        Assert.Contains("empty shards", e.Message);
        Assert.Throws<ArgumentException>(() => DatasetSpec.Parse("shapes:bogus:10"));
        Assert.Throws<ArgumentException>(() => DatasetSpec.Parse("imagenet:train:10"));
    }

    [Fact]
    public async Task APermanentShardFailureFailsTheJobAtOnceWithItsReasonAndDropsTheReminder()
    {
        var job = _cluster.Client.GetGrain<IExtractionJobGrain>("corrupt-1");
        await job.Start(new ExtractionJobSpec("clip-tiny", ["vision.blocks.1.hook_resid_post"], DatasetSpec.Parse("shapes:train:400"), Shards: 4, MaxAttemptsPerShard: 3));
        var progress = await JobWait.UntilFinished(job.Status, minutes: 1);
        Assert.Equal(JobPhase.Failed, progress.Phase);
        Assert.Equal("shard 2 failed: model file of clip-tiny does not hash to its sha256", progress.Error);
        var row = await _registry.Runs.GetAsync("corrupt-1");
        Assert.Equal((RunStatus.Failed, progress.Error), (row!.Status, row.Error));
        Assert.Empty(await Reminders.SettledAsync(_cluster, job));
        // Not retried: a corrupt input fails every attempt the same way.
        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.Equal(1, Calls["corrupt-1/2"]);
        Assert.Null(progress.ActivationSetId);
        Assert.DoesNotContain("corrupt-1", Finalized);
    }
}
