using MMInterp.Grains.Contracts.Jobs;
using MMInterp.Grains.Placement;
using MMInterp.Grains.Registry;
using MMInterp.Grains.TrainingRuns;
using MMInterp.Kernels.Sae;
using MMInterp.Kernels.Sae.Training;
using Microsoft.Extensions.DependencyInjection;
using Xunit;
using Xunit.Abstractions;

namespace MMInterp.Integration.Tests.Extraction;

/// <summary>
/// The silo's real training executor against a real registry: a cancel reaches the trainer at its next step, not at
/// its next checkpoint; and a launch that stopped before its first checkpoint (a crash, a cancel, a lost silo) leaves
/// no doubled metric rows once the run is launched again from step 0.
/// </summary>
public sealed class TrainingResumeTests(ExtractionCluster fx, ITestOutputHelper output) : IClassFixture<ExtractionCluster>
{
    const string Hook = "vision.blocks.0.hook_resid_post";

    [Fact]
    public async Task CancelStopsTheStepBeforeAnyCheckpointAndARelaunchFromStepZeroLeavesExactMetricRows()
    {
        var job = fx.Cluster.Client.GetGrain<IExtractionJobGrain>("ext-resume");
        await job.Start(new ExtractionJobSpec("clip-e2e", [Hook], DatasetSpec.Parse("shapes:train:32"), Shards: 1));
        var extracted = await JobWait.UntilFinished(job.Status, minutes: 3);
        Assert.True(extracted.Phase == JobPhase.Succeeded, extracted.Error);

        const string runId = "run-resume-no-checkpoint";
        // No checkpoint before the end: whatever the first launch logged has no checkpoint to resume from.
        var spec = new TrainingRunSpec(extracted.ActivationSetId!, Hook, new SaeConfig { Kind = SaeKind.Relu, DIn = 32, DSae = 64 }.ToJson(),
            new SaeTrainingConfig().ToJson(), Steps: 3000, CheckpointEvery: 1_000_000, Seed: 2, BatchSize: 32, LogEvery: 10);
        await fx.Registry.Runs.CreateAsync(new NewRun(RunKind.SaeTraining, TotalSteps: spec.Steps, Id: runId));
        var executor = fx.Cluster.Silos[0].ServiceProvider.GetRequiredService<ITrainingExecutor>();
        var checkpoints = new List<RunCheckpoint>();
        Task Record(RunCheckpoint c)
        {
            lock (checkpoints) checkpoints.Add(c);
            return Task.CompletedTask;
        }

        // Launch 1, cancelled once it has logged a few points.
        using var cancel = new CancellationTokenSource();
        var first = Task.Run(() => executor.TrainAsync(runId, spec, null, Record, DeviceSlot.Cpu, cancel.Token));
        var deadline = DateTime.UtcNow.AddMinutes(2);
        List<StepValue> before;
        while ((before = await fx.Registry.Metrics.ReadAsync(runId, "fvu")).Count < 2 && !first.IsCompleted && DateTime.UtcNow < deadline)
            await Task.Delay(20);
        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => first);
        var after = await fx.Registry.Metrics.ReadAsync(runId, "fvu");
        output.WriteLine($"cancelled at logged step {before[^1].Step}; stopped by logged step {after[^1].Step} of {spec.Steps}");
        // It stopped within a few steps of the cancel (a log every 10 steps), long before its checkpoint or its end.
        Assert.Empty(checkpoints);
        Assert.InRange(after[^1].Step - before[^1].Step, 0, 5 * spec.LogEvery);
        Assert.True(after[^1].Step < spec.Steps, "the first launch ran to its end; make the run longer");

        // Launch 2, from step 0 (there is no checkpoint), to the end.
        var final = await Task.Run(() => executor.TrainAsync(runId, spec, null, Record, DeviceSlot.Cpu, CancellationToken.None));
        Assert.Equal(spec.Steps, final.Step);

        // Exactly one point per series and logged step: the first launch's rows were dropped, not doubled.
        var expected = Enumerable.Range(1, (int)(spec.Steps / spec.LogEvery)).Select(i => i * (long)spec.LogEvery).ToList();
        foreach (var name in new[] { "fvu", "l0", "loss", "mse" })
            Assert.Equal(expected, (await fx.Registry.Metrics.ReadAsync(runId, name)).Select(p => p.Step).ToList());
    }
}
