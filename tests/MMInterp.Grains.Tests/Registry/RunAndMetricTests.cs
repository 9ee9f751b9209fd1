using System.Diagnostics;
using MMInterp.Grains.Registry;
using Xunit;
using Xunit.Abstractions;

namespace MMInterp.Grains.Tests.Registry;

[Collection(RegistryCollection.Name)]
public class RunAndMetricTests(RegistryDatabase db, ITestOutputHelper output)
{
    RegistryStore Store => db.Store;

    [Fact]
    public async Task ARunMovesForwardThroughItsStatuses()
    {
        var run = await Store.Runs.CreateAsync(new NewRun(RunKind.SaeTraining, """{"d_sae": 1024}""", TotalSteps: 1000));
        Assert.Equal((RunStatus.Pending, 0L, 0.0), (run.Status, run.Step, run.Progress));
        Assert.Null(run.StartedAt);

        var running = await Store.Runs.SetStatusAsync(run.Id, RunStatus.Running);
        Assert.NotNull(running.StartedAt);
        var progressed = await Store.Runs.ReportProgressAsync(run.Id, 250, 0.25);
        Assert.Equal((250L, 0.25, (string?)null), (progressed.Step, progressed.Progress, progressed.Stage));
        // A stage says what the run is doing; a report without one keeps the last.
        Assert.Equal("evaluating", (await Store.Runs.ReportProgressAsync(run.Id, 250, 0.25, stage: "evaluating")).Stage);
        Assert.Equal(("evaluating", 260L), await Store.Runs.ReportProgressAsync(run.Id, 260, 0.26) is var kept ? (kept.Stage, kept.Step) : default);
        // A resumed run reports running again; its first start time is kept.
        var resumed = await Store.Runs.SetStatusAsync(run.Id, RunStatus.Running);
        Assert.Equal(running.StartedAt, resumed.StartedAt);

        var done = await Store.Runs.SetStatusAsync(run.Id, RunStatus.Succeeded);
        Assert.Equal((RunStatus.Succeeded, 1.0, 260L), (done.Status, done.Progress, done.Step));
        Assert.NotNull(done.FinishedAt);
        Assert.True(done.IsTerminal);
        Assert.Equal(done, await Store.Runs.GetAsync(run.Id));

        // Finished is final: late reports from a dying worker are refused, not applied.
        var late = await Assert.ThrowsAsync<RegistryConflictException>(() => Store.Runs.ReportProgressAsync(run.Id, 300, 0.3));
        Assert.Contains("already succeeded", late.Message);
        await Assert.ThrowsAsync<RegistryConflictException>(() => Store.Runs.SetStatusAsync(run.Id, RunStatus.Running));
        await Assert.ThrowsAsync<RegistryNotFoundException>(() => Store.Runs.SetStatusAsync("run-missing", RunStatus.Running));
        await Assert.ThrowsAsync<ArgumentException>(() => Store.Runs.ReportProgressAsync(run.Id, 1, 1.5));
    }

    [Fact]
    public async Task FailuresKeepTheirErrorAndRunsFilterByStatusKindAndParent()
    {
        var sweep = await Store.Runs.CreateAsync(new NewRun(RunKind.Sweep));
        var a = await Store.Runs.CreateAsync(new NewRun(RunKind.SaeTraining, ParentRunId: sweep.Id));
        var b = await Store.Runs.CreateAsync(new NewRun(RunKind.SaeTraining, ParentRunId: sweep.Id));
        var failed = await Store.Runs.SetStatusAsync(b.Id, RunStatus.Failed, "out of memory on silo-2");
        Assert.Equal("out of memory on silo-2", failed.Error);

        var children = await Store.Runs.ListAsync(parentRunId: sweep.Id);
        Assert.Equal(new[] { a.Id, b.Id }.Order(), children.Select(r => r.Id).Order());
        Assert.Equal([b.Id], (await Store.Runs.ListAsync(RunStatus.Failed, parentRunId: sweep.Id)).Select(r => r.Id));
        Assert.Contains(await Store.Runs.ListAsync(kind: RunKind.Sweep), r => r.Id == sweep.Id);
        Assert.DoesNotContain(await Store.Runs.ListAsync(kind: RunKind.Extraction), r => r.Id == sweep.Id);
        await Assert.ThrowsAsync<RegistryReferenceException>(() => Store.Runs.CreateAsync(new NewRun(RunKind.SaeTraining, ParentRunId: "run-missing")));
    }

    [Fact]
    public async Task MetricPointsAreBulkInsertedAndSummarised()
    {
        var run = await Store.Runs.CreateAsync(new NewRun(RunKind.SaeTraining));
        const int steps = 50_000;
        var points = new List<MetricPoint>(steps * 2);
        for (var s = 0; s < steps; s++)
        {
            points.Add(new MetricPoint(run.Id, "loss", s, 1.0 / (s + 1)));
            points.Add(new MetricPoint(run.Id, "l0", s, 32 + s % 7));
        }
        var clock = Stopwatch.StartNew();
        var written = await Store.Metrics.AppendAsync(points);
        output.WriteLine($"COPY of {points.Count} metric points: {clock.ElapsedMilliseconds} ms ({points.Count / clock.Elapsed.TotalSeconds:F0} rows/s)");
        Assert.Equal((ulong)points.Count, written);

        var summary = await Store.Metrics.SummariseAsync(run.Id);
        Assert.Equal(["l0", "loss"], summary.Select(x => x.Name));
        var loss = summary.Single(x => x.Name == "loss");
        Assert.Equal((steps, 0L, steps - 1L, 1.0 / steps), (loss.Points, loss.FirstStep, loss.LastStep, loss.LastValue));

        var window = await Store.Metrics.ReadAsync(run.Id, "loss", 10, 12);
        Assert.Equal([new StepValue(10, 1.0 / 11), new StepValue(11, 1.0 / 12), new StepValue(12, 1.0 / 13)], window);

        // Resuming from the checkpoint at step 999 drops the later points of both series.
        Assert.Equal(2 * (steps - 1000), await Store.Metrics.DeleteAfterStepAsync(run.Id, 999));
        Assert.All(await Store.Metrics.SummariseAsync(run.Id), x => Assert.Equal(999, x.LastStep));
    }

    [Fact]
    public async Task AMetricBatchNamingAnUnknownRunWritesNothing()
    {
        var run = await Store.Runs.CreateAsync(new NewRun(RunKind.SaeTraining));
        MetricPoint[] batch = [new(run.Id, "loss", 0, 1), new("run-missing", "loss", 0, 1), new(run.Id, "loss", 1, 0.5)];
        var e = await Assert.ThrowsAsync<RegistryReferenceException>(() => Store.Metrics.AppendAsync(batch));
        Assert.Contains("(run_id)=(run-missing)", e.Message);
        Assert.Empty(await Store.Metrics.SummariseAsync(run.Id));
        await Assert.ThrowsAsync<ArgumentException>(() => Store.Metrics.AppendAsync([new(run.Id, "", 0, 1)]));
        Assert.Equal(0UL, await Store.Metrics.AppendAsync([]));
    }

    [Fact]
    public async Task DeletingARunDeletesItsPoints()
    {
        var run = await Store.Runs.CreateAsync(new NewRun(RunKind.Analysis));
        await Store.Metrics.AppendAsync([new(run.Id, "acc", 0, 0.5), new(run.Id, "acc", 1, 0.7)]);
        await db.ScalarAsync("DELETE FROM runs WHERE id = $1", run.Id);
        Assert.Equal(0L, await db.ScalarAsync("SELECT count(*) FROM metric_points WHERE run_id = $1", run.Id));
    }
}
