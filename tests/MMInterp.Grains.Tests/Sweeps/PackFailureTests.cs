using System.Collections.Concurrent;
using MMInterp.Grains.Contracts.Jobs;
using MMInterp.Grains.Lifecycle;
using MMInterp.Grains.Placement;
using MMInterp.Grains.TrainingRuns;
using MMInterp.Kernels.Sae;
using MMInterp.Kernels.Sae.Training;
using MMInterp.Silo.Placement;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace MMInterp.Grains.Tests.Sweeps;

/// <summary>
/// A sweep whose points train in one pack, on a real silo, with a pack executor scripted by the sweep id: a corrupt
/// activation shard (permanent) fails every point with that reason after one launch; a pack that keeps timing out
/// (transient) is retried up to the limit, then fails, and so do its points, with the last reason. Nothing is left
/// with a reminder to come back.
/// </summary>
public sealed class PackFailureTests(PackFailureTests.OneSilo silo) : IClassFixture<PackFailureTests.OneSilo>
{
    const int MaxAttempts = 3;
    static readonly ConcurrentDictionary<string, int> Launches = new();

    public sealed class OneSilo() : OneSiloCluster(SiloRole.Both)
    {
        protected override void AddPorts(IServiceCollection services)
        {
            services.AddSingleton<IPackTrainingExecutor, ScriptedPacks>();
            services.AddSingleton<ITrainingExecutor, NoSingleRuns>();
            services.AddSingleton<IRunRecorder, NoRecords>();
            services.Configure<JobOptions>(o =>
            {
                o.RetryDelays = [TimeSpan.FromMilliseconds(200)];
                o.MaxAttempts = MaxAttempts;
            });
        }
    }

    sealed class ScriptedPacks : IPackTrainingExecutor
    {
        public Task<IReadOnlyDictionary<string, PackOutcome>> TrainAsync(IReadOnlyList<PackMember> members,
            Func<string, RunCheckpoint, Task> onCheckpoint, DeviceSlot slot, CancellationToken ct)
        {
            var sweep = members[0].Spec.SweepId!;
            var launch = Launches.AddOrUpdate(sweep, 1, (_, n) => n + 1);
            throw sweep.Split('-')[0] switch
            {
                "corrupt" => new InvalidDataException("activation shard 1 of set acts-1 is corrupt: its sha256 does not match"),
                _ => new TimeoutException($"the store did not answer in time (launch {launch})"),
            };
        }
    }

    sealed class NoSingleRuns : ITrainingExecutor
    {
        public Task<RunCheckpoint> TrainAsync(string runId, TrainingRunSpec spec, RunCheckpoint? resumeFrom,
            Func<RunCheckpoint, Task> onCheckpoint, DeviceSlot slot, CancellationToken ct, Action<TrainingFigures>? onStep = null) =>
            throw new InvalidOperationException("every point of these sweeps trains in a pack");
    }

    sealed class NoRecords : IRunRecorder
    {
        public Task StartedAsync(string id, string kind, string configJson, long totalSteps, string? parentId, CancellationToken ct = default) => Task.CompletedTask;
        public Task ProgressAsync(string id, long step, double fraction, CancellationToken ct = default) => Task.CompletedTask;
        public Task FinishedAsync(string id, JobPhase phase, string? error, CancellationToken ct = default) => Task.CompletedTask;
    }

    static SweepSpec Grid() =>
        new(new TrainingRunSpec("acts-1", "h", new SaeConfig { Kind = SaeKind.TopK, DIn = 8, DSae = 64, K = 4 }.ToJson(),
                new SaeTrainingConfig().ToJson(), Steps: 10, CheckpointEvery: 5, Seed: 1),
            new Dictionary<string, IReadOnlyList<string>> { ["sae.K"] = ["8", "16"] });

    async Task<(JobProgress Sweep, IReadOnlyList<SweepRunResult> Points)> RunSweep(string id)
    {
        var sweep = silo.Cluster.Client.GetGrain<ISweepGrain>(id);
        await sweep.Start(Grid());
        var done = await JobWait.UntilFinished(sweep.Status, minutes: 1);
        Assert.Empty(await Reminders.SettledAsync(silo.Cluster, sweep));
        Assert.Empty(await Reminders.SettledAsync(silo.Cluster, silo.Cluster.Client.GetGrain<ITrainingPackGrain>($"{id}-p000")));
        foreach (var point in new[] { "r000", "r001" })
            Assert.Empty(await Reminders.SettledAsync(silo.Cluster, silo.Cluster.Client.GetGrain<ITrainingRunGrain>($"{id}-{point}")));
        return (done, (await sweep.Results()).OrderBy(r => r.Point).ToList());
    }

    [Fact]
    public async Task ACorruptShardFailsEveryPointOfThePackWithItsReasonAfterOneLaunch()
    {
        var (sweep, points) = await RunSweep("corrupt-1");
        const string reason = "activation shard 1 of set acts-1 is corrupt: its sha256 does not match";
        Assert.Equal(JobPhase.Failed, sweep.Phase);
        Assert.Equal($"point 0 (sae.K=8) failed: {reason}; point 1 (sae.K=16) failed: {reason}", sweep.Error);
        Assert.All(points, p => Assert.Equal((JobPhase.Failed, reason), (p.Phase, p.Error)));
        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.Equal(1, Launches["corrupt-1"]);
    }

    [Fact]
    public async Task APackThatKeepsTimingOutIsRetriedToTheLimitThenItsPointsFailWithTheLastReason()
    {
        var (sweep, points) = await RunSweep("slow-1");
        var reason = $"gave up after {MaxAttempts} failed attempts; last error: the store did not answer in time (launch {MaxAttempts})";
        Assert.Equal(JobPhase.Failed, sweep.Phase);
        Assert.All(points, p => Assert.Equal((JobPhase.Failed, reason), (p.Phase, p.Error)));
        var pack = await silo.Cluster.Client.GetGrain<ITrainingPackGrain>("slow-1-p000").Status();
        Assert.Equal((JobPhase.Failed, reason), (pack.Phase, pack.Error));
        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.Equal(MaxAttempts, Launches["slow-1"]);
    }
}
