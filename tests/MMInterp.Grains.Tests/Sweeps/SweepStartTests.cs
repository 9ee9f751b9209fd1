using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using MMInterp.Grains.Contracts.Jobs;
using MMInterp.Grains.Lifecycle;
using MMInterp.Grains.Placement;
using MMInterp.Grains.TrainingRuns;
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
            Func<RunCheckpoint, Task> onCheckpoint, DeviceSlot slot, CancellationToken ct)
        {
            Launches.AddOrUpdate(runId, 1, (_, n) => n + 1);
            var k = JsonNode.Parse(spec.SaeConfigJson)!["k"]!.GetValue<double>();
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
    static SweepSpec Spec(params string[] ks) =>
        new(new TrainingRunSpec("acts-1", "h", """{"kind":"TopK","k":4}""", "{}", Steps: 10, CheckpointEvery: 5, Seed: 1),
            new Dictionary<string, IReadOnlyList<string>> { ["sae.k"] = ks.ToList() }, PackSize: 1);

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
}
