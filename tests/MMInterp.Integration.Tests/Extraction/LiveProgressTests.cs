using MMInterp.Grains.Contracts.Experiments;
using MMInterp.Grains.Contracts.Jobs;
using MMInterp.Kernels.Analyses;
using MMInterp.Kernels.Sae;
using MMInterp.Kernels.Sae.Training;
using Xunit;
using Xunit.Abstractions;

namespace MMInterp.Integration.Tests.Extraction;

/// <summary>
/// Live progress through the real grains (three silos, two accelerators), the real trainer and a real registry:
/// a training run's Status(), a packed sweep member's Status() (relayed by its pack) and the sweep's Status() report
/// steps strictly between checkpoints and log steps with finite loss, FVU and L0, while the registry's metric series
/// keeps only its LogEvery steps; an analysis' Status() names the stage it is in. Each waits (with a generous
/// deadline) until it sees what it looks for; nothing is timed.
/// </summary>
public sealed class LiveProgressTests(ExtractionCluster fx, ITestOutputHelper output) : IClassFixture<ExtractionCluster>
{
    const string Hook = "vision.blocks.0.hook_resid_post";
    public const int Every = 1000;

    [Fact]
    public async Task ATrainingRunsStatusShowsStepsBetweenCheckpointsWithLiveFiguresAndLogsOnlyItsLogSteps()
    {
        var spec = await Spec("ext-live-run");
        var run = fx.Cluster.Client.GetGrain<ITrainingRunGrain>("run-live");
        await run.Start(spec);
        var seen = await UntilBetweenCheckpoints(run.Status, "run-live");
        Assert.Equal(seen.Live!.Step, seen.Done);
        Assert.Equal(spec.Steps, seen.Live.Steps);
        await run.Cancel();
        var ended = await run.Status();
        Assert.True(ended.Finished);
        Assert.Null(ended.Live);

        // The live figures were never recorded: the metric series holds only the LogEvery steps.
        var loss = await fx.Registry.Metrics.ReadAsync("run-live", "loss");
        Assert.All(loss, p => Assert.Equal(0, p.Step % Every));
    }

    [Fact]
    public async Task APackedSweepMemberAndItsSweepShowLiveSteps()
    {
        var spec = await Spec("ext-live-sweep");
        var sweep = fx.Cluster.Client.GetGrain<ISweepGrain>("sweep-live");
        await sweep.Start(new SweepSpec(spec, new Dictionary<string, IReadOnlyList<string>> { ["sae.K"] = ["4", "8"] }));
        try
        {
            // The member runs train together in one pack, which relays each member's step to its run.
            var members = await Members("sweep-live", 2);
            var member = fx.Cluster.Client.GetGrain<ITrainingRunGrain>(members[0]);
            await UntilBetweenCheckpoints(member.Status, members[0]);

            // The sweep sums its runs' steps over their steps and shows its best running run's figures.
            var at = await Until(sweep.Status, p => p.Live is { Step: > 0 } l && Finite(l), "sweep-live");
            Assert.Equal(2 * spec.Steps, at.Live!.Steps);
            Assert.Contains("runs done", at.Note);
        }
        finally
        {
            await sweep.Cancel();
        }
    }

    [Fact]
    public async Task AnAnalysisStatusNamesItsStage()
    {
        var experiment = fx.Cluster.Client.GetGrain<IExperimentGrain>("exp-live-stage");
        // Enough images that the probe's stages last past the executor's once-a-second relay.
        await experiment.Start(new AnalysisSpec(ProbeAnalysis.Kind, "clip-e2e", null, null,
            ProbeAnalysis.OptionsJson(new ProbeOptions { Attribute = "colour,shape", TrainImages = 3000, TestImages = 1000 })));
        var stages = new[] { "extracting train split", "extracting test split", "colour block", "shape block" };
        var seen = await Until(experiment.Status, p => p.Note is { } n && stages.Any(s => n.Contains(s, StringComparison.OrdinalIgnoreCase)), "exp-live-stage");
        output.WriteLine($"stage seen: {seen.Done}/{seen.Total} {seen.Note}");
        var done = await JobWait.UntilFinished(experiment.Status, minutes: 5);
        Assert.True(done.Phase == JobPhase.Succeeded, done.Error);
    }

    /// <summary>A tiny SAE on a small extraction, long enough (checkpoints and logs every 1000 of 20000 steps) that a
    /// poll lands between them many times over; the tests cancel it once they saw what they look for.</summary>
    Task<TrainingRunSpec> Spec(string extraction) => LongRunSpec(fx, extraction);

    public static async Task<TrainingRunSpec> LongRunSpec(ExtractionCluster fx, string extraction)
    {
        var job = fx.Cluster.Client.GetGrain<IExtractionJobGrain>(extraction);
        await job.Start(new ExtractionJobSpec("clip-e2e", [Hook], DatasetSpec.Parse("shapes:train:16"), Shards: 1));
        var extracted = await JobWait.UntilFinished(job.Status, minutes: 3);
        Assert.True(extracted.Phase == JobPhase.Succeeded, extracted.Error);
        return new TrainingRunSpec(extracted.ActivationSetId!, Hook, new SaeConfig { Kind = SaeKind.TopK, DIn = 32, DSae = 64, K = 4 }.ToJson(),
            new SaeTrainingConfig().ToJson(), Steps: 20 * Every, CheckpointEvery: Every, Seed: 1, BatchSize: 32, LogEvery: Every);
    }

    async Task<JobProgress> UntilBetweenCheckpoints(Func<Task<JobProgress>> status, string what)
    {
        var seen = await Until(status, p => p.Live is { } l && l.Step % Every != 0 && Finite(l), what);
        output.WriteLine($"{what}: step {seen.Live!.Step}/{seen.Live.Steps} loss {seen.Live.Loss} FVU {seen.Live.Fvu} L0 {seen.Live.L0}");
        Assert.InRange(seen.Live.L0, 0, 64);
        Assert.True(seen.Live.Fvu >= 0 && seen.Live.Loss >= 0);
        return seen;
    }

    async Task<List<string>> Members(string sweepId, int count)
    {
        var deadline = DateTime.UtcNow.AddMinutes(2);
        List<string> ids;
        while ((ids = (await fx.Registry.Runs.ListAsync(parentRunId: sweepId)).Select(r => r.Id).Order(StringComparer.Ordinal).ToList()).Count < count)
        {
            Assert.True(DateTime.UtcNow < deadline, $"sweep {sweepId} recorded {ids.Count} of its {count} runs");
            await Task.Delay(100);
        }
        return ids;
    }

    static bool Finite(TrainingFigures l) => double.IsFinite(l.Loss) && double.IsFinite(l.Fvu) && double.IsFinite(l.L0);

    public static async Task<JobProgress> Until(Func<Task<JobProgress>> status, Func<JobProgress, bool> wanted, string what)
    {
        var deadline = DateTime.UtcNow.AddMinutes(4);
        JobProgress p;
        while (!wanted(p = await status()))
        {
            Assert.False(p.Finished, $"{what} finished ({p.Phase}: {p.Error}) before its status showed what was wanted");
            Assert.True(DateTime.UtcNow < deadline, $"{what}: not seen within 4 minutes; last status {p.Done}/{p.Total} {p.Note}");
            await Task.Delay(50);
        }
        return p;
    }
}
