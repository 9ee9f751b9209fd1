using System.Collections.Concurrent;
using MMInterp.Grains.Contracts.Jobs;
using MMInterp.Grains.Lifecycle;
using MMInterp.Grains.Placement;
using MMInterp.Grains.TrainingRuns;
using MMInterp.Kernels.Sae;
using MMInterp.Kernels.Sae.Training;
using MMInterp.Silo.Placement;
using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;
using Xunit;

namespace MMInterp.Grains.Tests.Sweeps;

/// <summary>
/// A sweep starts through the shared job lifecycle on a real silo: the same spec sent again (equal values in new
/// collections) attaches to the sweep, another spec under its id is refused by name, and each run trains once.
/// The executor here finishes at once with an L0 equal to the SAE's k and an FVU of 1/k.
/// </summary>
public sealed class SweepStartTests(SweepStartTests.OneSilo silo) : IClassFixture<SweepStartTests.OneSilo>
{
    static readonly ConcurrentDictionary<string, int> Launches = new();
    static readonly ConcurrentDictionary<string, int> Started = new();

    public sealed class OneSilo() : OneSiloCluster(SiloRole.Both)
    {
        protected override void AddPorts(IServiceCollection services)
        {
            services.AddSingleton<ITrainingExecutor, InstantExecutor>();
            services.AddSingleton<IRunRecorder, CountingRecorder>();
        }
    }

    sealed class InstantExecutor : ITrainingExecutor
    {
        public Task<RunCheckpoint> TrainAsync(string runId, TrainingRunSpec spec, RunCheckpoint? resumeFrom,
            Func<RunCheckpoint, Task> onCheckpoint, DeviceSlot slot, CancellationToken ct, Action<TrainingFigures>? onStep = null)
        {
            Launches.AddOrUpdate(runId, 1, (_, n) => n + 1);
            var k = (double)SaeConfig.FromJson(spec.SaeConfigJson).K;
            // A point that diverges (permanent): the sweep reports its reason.
            if (runId.StartsWith("sw-fail") && k >= 16) throw new NonFiniteTrainingException("m0", 3, "the loss", null);
            return Task.FromResult(new RunCheckpoint(spec.Steps, $"ckpt-{runId}", new Dictionary<string, double> { ["l0"] = k, ["fvu"] = 1 / k }));
        }
    }

    /// <summary>Counts how often each job's registry row was created.</summary>
    sealed class CountingRecorder : IRunRecorder
    {
        public Task StartedAsync(string id, string kind, string configJson, long totalSteps, string? parentId, CancellationToken ct = default)
        {
            Started.AddOrUpdate(id, 1, (_, n) => n + 1);
            return Task.CompletedTask;
        }

        public Task ProgressAsync(string id, long step, double fraction, CancellationToken ct = default) => Task.CompletedTask;
        public Task FinishedAsync(string id, JobPhase phase, string? error, CancellationToken ct = default) => Task.CompletedTask;
    }

    /// <summary>A fresh spec each call, as a new client would send it. Pack size 1: each run trains on its own through
    /// the scripted executor (packing has its own tests).</summary>
    static SweepSpec Spec(params string[] ks) => Grid("sae.k", ks);

    static SweepSpec Grid(string axis, params string[] values) =>
        new(new TrainingRunSpec("acts-1", "h", new SaeConfig { Kind = SaeKind.TopK, DIn = 8, DSae = 64, K = 4 }.ToJson(),
                new SaeTrainingConfig().ToJson(), Steps: 10, CheckpointEvery: 5, Seed: 1),
            new Dictionary<string, IReadOnlyList<string>> { [axis] = values.ToList() }, PackSize: 1);

    [Fact]
    public async Task TheSameSpecAttachesAndAnotherSpecUnderTheIdIsRefused()
    {
        var sweep = silo.Cluster.Client.GetGrain<ISweepGrain>("sw-1");
        Assert.Equal((JobPhase.Running, 2), ((await sweep.Start(Spec("8", "16"))).Phase, (await sweep.Status()).Total));
        Assert.Equal(2, (await sweep.Start(Spec("8", "16"))).Total);

        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => sweep.Start(Spec("8", "32")));
        Assert.Equal("sweep 'sw-1' already exists with a different spec", refused.Message);
        var otherBase = Spec("8", "16") with { Base = Spec("8", "16").Base with { Steps = 20 } };
        await Assert.ThrowsAsync<InvalidOperationException>(() => sweep.Start(otherBase));

        var done = await JobWait.UntilFinished(sweep.Status, minutes: 1);
        Assert.Equal((JobPhase.Succeeded, 2, 2), (done.Phase, done.Done, done.Total));
        var results = (await sweep.Results()).OrderBy(r => r.L0).ToList();
        Assert.Equal([("sae.k=8", 8.0), ("sae.k=16", 16.0)], results.Select(r => (r.Label, r.L0)));
        Assert.All(results, r => Assert.True(r.OnFront));
        Assert.Equal(1, Started["sw-1"]);
        Assert.All(results, r => Assert.Equal(1, Launches[r.RunId]));

        // Attaching to a finished sweep reports it as it ended and starts nothing.
        Assert.Equal(JobPhase.Succeeded, (await sweep.Start(Spec("8", "16"))).Phase);
        Assert.Equal(1, Started["sw-1"]);
    }

    [Theory]
    [InlineData("sae.K", "abc", "K must be an integer")]
    [InlineData("sae.Kind", "bogus", "Kind must be one of Relu, TopK, BatchTopK, JumpRelu")]
    [InlineData("sae.K", "1e400", "K must be a finite number")]
    [InlineData("sae.K", "0", "K must be in 1..")]
    [InlineData("sae.K", "-1", "K must be in 1..")]
    [InlineData("sae.DSae", "2147483648", "DSae must be an integer in")]
    [InlineData("training.Lr", "0", "Lr must be positive")]
    [InlineData("training.Lr", "NaN", "Lr must be a finite number")]
    [InlineData("sae.Nope", "1", "SaeConfig has no field 'Nope'")]
    public async Task ABadGridValueIsRefusedByNameBeforeAnythingStarts(string axis, string value, string why)
    {
        var id = $"sw-bad-{Guid.NewGuid():N}";
        var sweep = silo.Cluster.Client.GetGrain<ISweepGrain>(id);
        var refused = await Assert.ThrowsAsync<ArgumentException>(() => sweep.Start(Grid(axis, value)));
        Assert.Contains(axis.Split('.')[1] == "Nope" ? axis : $"{axis}={value}", refused.Message);
        Assert.Contains(why, refused.Message);
        Assert.DoesNotContain("\n", refused.Message);

        // Nothing started: no registry row, no runs, the sweep is not stored.
        Assert.False(Started.ContainsKey(id));
        Assert.DoesNotContain(Launches.Keys, k => k.StartsWith(id));
        Assert.Equal(JobPhase.Pending, (await sweep.Status()).Phase);
        Assert.Empty(await Reminders.SettledAsync(silo.Cluster, sweep));
    }

    [Fact]
    public async Task AFailedPointIsReportedWithItsReasonAndNoResults()
    {
        var sweep = silo.Cluster.Client.GetGrain<ISweepGrain>("sw-fail-1");
        await sweep.Start(Grid("sae.K", "8", "16"));
        var done = await JobWait.UntilFinished(sweep.Status, minutes: 1);

        // One point succeeded: the sweep did, and says which point failed and why.
        Assert.Equal(JobPhase.Succeeded, done.Phase);
        Assert.Equal("point 1 (sae.K=16) failed: SAE 'm0': the loss is not finite at step 3; training stopped. No checkpoint had been written yet.", done.Error);
        var results = (await sweep.Results()).OrderBy(r => r.Point).ToList();
        Assert.Equal([(0, JobPhase.Succeeded, true), (1, JobPhase.Failed, false)], results.Select(r => (r.Point, r.Phase, r.Succeeded)));
        Assert.Equal(done.Error, results[1].FailureLine);
        Assert.True(results[0].OnFront);
        Assert.False(results[1].OnFront);
        Assert.Empty(await Reminders.SettledAsync(silo.Cluster, sweep));

        // Every point failed: the sweep failed, with each point's reason, never an empty one.
        var all = silo.Cluster.Client.GetGrain<ISweepGrain>("sw-fail-2");
        await all.Start(Grid("sae.K", "16", "32"));
        var failed = await JobWait.UntilFinished(all.Status, minutes: 1);
        Assert.Equal(JobPhase.Failed, failed.Phase);
        Assert.StartsWith("point 0 (sae.K=16) failed: SAE 'm0': the loss is not finite", failed.Error);
        Assert.Contains("; point 1 (sae.K=32) failed: SAE 'm0': the loss is not finite", failed.Error);
        Assert.All(await all.Results(), r => Assert.False(string.IsNullOrWhiteSpace(r.Error)));
    }
}
