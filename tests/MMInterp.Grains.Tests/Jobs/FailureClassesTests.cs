using System.Collections.Concurrent;
using System.Text.Json;
using MMInterp.Grains.Contracts.Jobs;
using MMInterp.Grains.Lifecycle;
using MMInterp.Grains.Placement;
using MMInterp.Grains.TrainingRuns;
using MMInterp.Kernels.Sae;
using MMInterp.Kernels.Sae.Training;
using MMInterp.Silo.Placement;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Xunit;

namespace MMInterp.Grains.Tests.Jobs;

/// <summary>
/// Each class of failure through the shared lifecycle (ExecutorWork, which training runs, packs, experiments and zoo
/// builds share) on a real silo, with an executor scripted by the run id: a permanent failure (corrupt data, a config
/// the serializer refuses, a diverged run) ends the run as failed with its reason after one launch and drops its
/// reminder; a transient one (a timeout) is retried with backoff and succeeds; one that stays (the database away) is
/// retried up to the limit, then fails with the last reason.
/// </summary>
public sealed class FailureClassesTests(FailureClassesTests.OneSilo silo) : IClassFixture<FailureClassesTests.OneSilo>
{
    const int MaxAttempts = 3;
    static readonly ConcurrentDictionary<string, int> Launches = new();
    static readonly ConcurrentDictionary<string, (JobPhase Phase, string? Error)> Recorded = new();

    public sealed class OneSilo() : OneSiloCluster(SiloRole.Accelerator)
    {
        protected override void AddPorts(IServiceCollection services)
        {
            services.AddSingleton<ITrainingExecutor, ScriptedExecutor>();
            services.AddSingleton<IRunRecorder, MemoryRecorder>();
            services.Configure<JobOptions>(o =>
            {
                o.RetryDelays = [TimeSpan.FromMilliseconds(200), TimeSpan.FromMilliseconds(400)];
                o.MaxAttempts = MaxAttempts;
            });
        }
    }

    sealed class ScriptedExecutor : ITrainingExecutor
    {
        public Task<RunCheckpoint> TrainAsync(string runId, TrainingRunSpec spec, RunCheckpoint? resumeFrom,
            Func<RunCheckpoint, Task> onCheckpoint, DeviceSlot slot, CancellationToken ct, Action<TrainingFigures>? onStep = null)
        {
            var launch = Launches.AddOrUpdate(runId, 1, (_, n) => n + 1);
            Exception? failure = runId.Split('-')[0] switch
            {
                "corrupt" => new InvalidDataException("activation shard 2 is corrupt: data_offsets overlap"),
                "json" => new JsonException("The JSON value could not be converted to MMInterp.Kernels.Sae.SaeKind."),
                "diverged" => new NonFiniteTrainingException("m0", 7, "the loss", null),
                "flaky" when launch <= 2 => new TimeoutException($"Response did not arrive on time (launch {launch})"),
                "dbdown" => new NpgsqlException($"Failed to connect to 127.0.0.1:5432 (launch {launch})"),
                _ => null,
            };
            if (failure is not null) throw failure;
            return Task.FromResult(new RunCheckpoint(spec.Steps, $"ckpt-{runId}", new Dictionary<string, double> { ["fvu"] = 0.1 }));
        }
    }

    sealed class MemoryRecorder : IRunRecorder
    {
        public Task StartedAsync(string id, string kind, string configJson, long totalSteps, string? parentId, CancellationToken ct = default) => Task.CompletedTask;
        public Task ProgressAsync(string id, long step, double fraction, CancellationToken ct = default) => Task.CompletedTask;

        public Task FinishedAsync(string id, JobPhase phase, string? error, CancellationToken ct = default)
        {
            Recorded[id] = (phase, error);
            return Task.CompletedTask;
        }
    }

    static TrainingRunSpec Spec() => new("acts-1", "h", new SaeConfig { Kind = SaeKind.TopK, DIn = 8, DSae = 32, K = 4 }.ToJson(), new SaeTrainingConfig().ToJson(), Steps: 10, CheckpointEvery: 5, Seed: 0);

    async Task<(ITrainingRunGrain Run, JobProgress Progress)> StartAndWait(string runId)
    {
        var run = silo.Cluster.Client.GetGrain<ITrainingRunGrain>(runId);
        await run.Start(Spec());
        return (run, await JobWait.UntilFinished(run.Status, minutes: 1));
    }

    [Theory]
    [InlineData("corrupt-1", "activation shard 2 is corrupt")]
    [InlineData("json-1", "could not be converted")]
    [InlineData("diverged-1", "the loss is not finite at step 7")]
    public async Task APermanentFailureEndsTheRunWithItsReasonOnceAndDropsItsReminder(string runId, string reason)
    {
        var (run, progress) = await StartAndWait(runId);
        Assert.Equal(JobPhase.Failed, progress.Phase);
        Assert.Contains(reason, progress.Error);
        Assert.Equal((JobPhase.Failed, progress.Error), Recorded[runId]);
        Assert.Empty(await Reminders.SettledAsync(silo.Cluster, run));

        // Longer than every backoff delay: nothing launches it again.
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        Assert.Equal(1, Launches[runId]);
        Assert.Equal(JobPhase.Failed, (await run.Status()).Phase);
    }

    [Fact]
    public async Task ATransientFailureIsRetriedWithBackoffAndTheRunSucceeds()
    {
        var (run, progress) = await StartAndWait("flaky-1");
        Assert.True(progress.Phase == JobPhase.Succeeded, $"{progress.Phase}: {progress.Error}");
        Assert.Equal(3, Launches["flaky-1"]);
        Assert.Equal(3, (await run.Host()).Starts);
        Assert.Equal((JobPhase.Succeeded, (string?)null), Recorded["flaky-1"]);
        Assert.Empty(await Reminders.SettledAsync(silo.Cluster, run));
    }

    [Fact]
    public async Task ATransientFailureThatPersistsFailsAtTheLimitWithTheLastReason()
    {
        var (run, progress) = await StartAndWait("dbdown-1");
        Assert.Equal(JobPhase.Failed, progress.Phase);
        Assert.Equal($"gave up after {MaxAttempts} failed attempts; last error: Failed to connect to 127.0.0.1:5432 (launch {MaxAttempts})", progress.Error);
        Assert.Equal((JobPhase.Failed, progress.Error), Recorded["dbdown-1"]);
        Assert.Empty(await Reminders.SettledAsync(silo.Cluster, run));
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        Assert.Equal(MaxAttempts, Launches["dbdown-1"]);
    }

    [Fact]
    public async Task ABadConfigIsRefusedAtStartWithItsReasonAndNothingLaunches()
    {
        var zeroK = silo.Cluster.Client.GetGrain<ITrainingRunGrain>("badk-1");
        var spec = Spec() with { SaeConfigJson = new SaeConfig { Kind = SaeKind.TopK, DIn = 8, DSae = 32, K = 0 }.ToJson() };
        var refused = await Assert.ThrowsAsync<ArgumentException>(() => zeroK.Start(spec));
        // Refused by the spec's own check (TrainingRunSpec.Validated) or, failing that, by the grain's config check.
        Assert.StartsWith("training run", refused.Message);
        Assert.Contains("K must be in 1..DSae (32) for TopK, got 0", refused.Message);

        var bogus = silo.Cluster.Client.GetGrain<ITrainingRunGrain>("badkind-1");
        refused = await Assert.ThrowsAsync<ArgumentException>(() => bogus.Start(Spec() with { SaeConfigJson = """{"Kind":"bogus","DIn":8,"DSae":32}""" }));
        Assert.StartsWith("training run 'badkind-1': SAE config: ", refused.Message);

        Assert.False(Launches.ContainsKey("badk-1") || Launches.ContainsKey("badkind-1"));
        Assert.Equal(JobPhase.Pending, (await zeroK.Status()).Phase);
        Assert.Empty(await Reminders.SettledAsync(silo.Cluster, zeroK));
    }

    [Fact]
    public async Task ImpossibleSizesAreRefusedAtStartAgainstTheSilosMemory()
    {
        // The silo advertises 1 GiB.
        var wide = silo.Cluster.Client.GetGrain<ITrainingRunGrain>("wide-1");
        var refused = await Assert.ThrowsAsync<ArgumentException>(() => wide.Start(Spec() with
        {
            SaeConfigJson = new SaeConfig { Kind = SaeKind.TopK, DIn = 8, DSae = int.MaxValue, K = 4 }.ToJson(),
        }));
        // Beyond this machine too, so the spec's check against its memory refuses it first.
        Assert.StartsWith("training run", refused.Message);
        Assert.Contains($"{int.MaxValue}", refused.Message);

        // Within this machine (about 3 GB) but beyond the silo's 1 GiB: the grain's own check against its silo refuses it.
        var silo1G = silo.Cluster.Client.GetGrain<ITrainingRunGrain>("wide-2");
        refused = await Assert.ThrowsAsync<ArgumentException>(() => silo1G.Start(Spec() with
        {
            SaeConfigJson = new SaeConfig { Kind = SaeKind.TopK, DIn = 8, DSae = 200_000, K = 4 }.ToJson(),
        }));
        Assert.StartsWith("training run 'wide-2' needs about ", refused.Message);
        Assert.Contains("d_sae 200000, d_in 8, batch 1024) but its silo has 1.0 GiB", refused.Message);

        var batch = silo.Cluster.Client.GetGrain<ITrainingRunGrain>("batch-1");
        refused = await Assert.ThrowsAsync<ArgumentException>(() => batch.Start(Spec() with { BatchSize = int.MaxValue }));
        Assert.StartsWith("training run", refused.Message);
        Assert.Contains($"{int.MaxValue}", refused.Message);

        Assert.False(Launches.ContainsKey("wide-1") || Launches.ContainsKey("wide-2") || Launches.ContainsKey("batch-1"));
        Assert.Equal(JobPhase.Pending, (await batch.Status()).Phase);
        Assert.Empty(await Reminders.SettledAsync(silo.Cluster, batch));

        // What fits is accepted.
        Assert.Equal(JobPhase.Succeeded, (await StartAndWait("fits-1")).Progress.Phase);
    }
}
