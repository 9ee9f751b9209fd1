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

namespace MMInterp.Grains.Tests.Jobs;

/// <summary>
/// A training run's lifecycle on one accelerator silo with a scripted executor (the run id says what it does):
/// Start is idempotent and refuses another spec, the final checkpoint is recorded before the run reports success,
/// a permanent failure fails the run, and Cancel stops the executor and marks the registry row cancelled.
/// </summary>
public sealed class TrainingRunLifecycleTests(TrainingRunLifecycleTests.OneSilo silo) : IClassFixture<TrainingRunLifecycleTests.OneSilo>
{
    static readonly ConcurrentDictionary<string, int> Launches = new();
    static readonly ConcurrentDictionary<string, TaskCompletionSource> Stopped = new();
    static readonly ConcurrentDictionary<string, JobPhase> Recorded = new();

    public sealed class OneSilo() : OneSiloCluster(SiloRole.Accelerator)
    {
        protected override void AddPorts(IServiceCollection services)
        {
            services.AddSingleton<ITrainingExecutor, ScriptedExecutor>();
            services.AddSingleton<IRunRecorder, MemoryRecorder>();
        }
    }

    sealed class ScriptedExecutor : ITrainingExecutor
    {
        public async Task<RunCheckpoint> TrainAsync(string runId, TrainingRunSpec spec, RunCheckpoint? resumeFrom,
            Func<RunCheckpoint, Task> onCheckpoint, DeviceSlot slot, CancellationToken ct, Action<TrainingFigures>? onStep = null)
        {
            Launches.AddOrUpdate(runId, 1, (_, n) => n + 1);
            if (runId.StartsWith("bad")) throw new ArgumentException("training run: SAE config is not an SAE config");
            if (runId.StartsWith("slow"))
            {
                try { await Task.Delay(Timeout.Infinite, ct); }
                finally { Stopped.GetOrAdd(runId, _ => new()).TrySetResult(); }
            }
            await onCheckpoint(new RunCheckpoint(1, "ckpt-1", new Dictionary<string, double>()));
            return new RunCheckpoint(spec.Steps, $"ckpt-{spec.Steps}", new Dictionary<string, double> { ["fvu"] = 0.1 });
        }
    }

    /// <summary>Keeps the phase each run was last recorded as finished with.</summary>
    sealed class MemoryRecorder : IRunRecorder
    {
        public Task StartedAsync(string id, string kind, string configJson, long totalSteps, string? parentId, CancellationToken ct = default) =>
            Task.CompletedTask;

        public Task ProgressAsync(string id, long step, double fraction, CancellationToken ct = default) => Task.CompletedTask;

        public Task FinishedAsync(string id, JobPhase phase, string? error, CancellationToken ct = default)
        {
            Recorded[id] = phase;
            return Task.CompletedTask;
        }
    }

    static TrainingRunSpec Spec(long steps = 10) => new("acts-1", "h", new SaeConfig { Kind = SaeKind.TopK, DIn = 8, DSae = 32, K = 4 }.ToJson(), new SaeTrainingConfig().ToJson(), steps, CheckpointEvery: 1, Seed: 0);

    async Task<(ITrainingRunGrain Run, JobProgress Progress)> StartAndWait(string runId)
    {
        var run = silo.Cluster.Client.GetGrain<ITrainingRunGrain>(runId);
        await run.Start(Spec());
        return (run, await JobWait.UntilFinished(run.Status, minutes: 1));
    }

    [Fact]
    public async Task StartIsIdempotentRefusesAnotherSpecAndRecordsTheFinalCheckpointBeforeSuccess()
    {
        var (run, progress) = await StartAndWait("ok-1");
        Assert.Equal((JobPhase.Succeeded, 10, "ckpt-10"), (progress.Phase, progress.Done, progress.CheckpointArtefact));
        Assert.Equal(JobPhase.Succeeded, Recorded["ok-1"]);
        Assert.Equal(10, (await run.LastCheckpoint())!.Step);

        Assert.Equal(JobPhase.Succeeded, (await run.Start(Spec())).Phase);
        Assert.Equal(1, Launches["ok-1"]);
        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => run.Start(Spec(steps: 20)));
        Assert.Equal("training run 'ok-1' already exists with a different spec", refused.Message);
    }

    [Fact]
    public async Task APermanentFailureFailsTheRunWithItsReason()
    {
        var (_, progress) = await StartAndWait("bad-1");
        Assert.Equal(JobPhase.Failed, progress.Phase);
        Assert.Contains("not an SAE config", progress.Error);
        Assert.Equal(JobPhase.Failed, Recorded["bad-1"]);
    }

    [Fact]
    public async Task CancelStopsTheExecutorAndMarksTheRowCancelled()
    {
        var run = silo.Cluster.Client.GetGrain<ITrainingRunGrain>("slow-1");
        Assert.Equal(JobPhase.Running, (await run.Start(Spec())).Phase);
        Assert.Equal(JobPhase.Running, (await run.Start(Spec())).Phase);

        await run.Cancel();
        await Stopped.GetOrAdd("slow-1", _ => new()).Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(JobPhase.Cancelled, (await run.Status()).Phase);
        Assert.Equal(JobPhase.Cancelled, Recorded["slow-1"]);
        Assert.Equal(1, Launches["slow-1"]);

        // A finished run stays finished.
        await run.Cancel();
        var after = await run.Status();
        Assert.Equal((JobPhase.Cancelled, (string?)null), (after.Phase, after.Error));
    }
}
