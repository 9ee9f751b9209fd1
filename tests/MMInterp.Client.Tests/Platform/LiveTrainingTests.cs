using MMInterp.Client.Platform;
using MMInterp.Grains.Contracts.Jobs;
using MMInterp.Grains.Registry;
using MMInterp.Silo.Storage;
using Xunit;

namespace MMInterp.Client.Tests.Platform;

/// <summary>
/// Following a training run between its checkpoints, on a real throwaway Postgres: the bar takes the newest logged
/// step (not the last checkpoint's) and shows that step's loss, FVU and L0; before anything is logged, or once the
/// run has finished, it leaves the grain's own progress alone.
/// </summary>
public sealed class LiveTrainingTests : IAsyncLifetime
{
    LocalPostgres? _pg;

    public async Task InitializeAsync()
    {
        _pg = await LocalPostgres.StartThrowawayAsync();
        await Migrations.ApplyAsync(_pg.ConnectionString);
    }

    public async Task DisposeAsync()
    {
        if (_pg is not null) await _pg.DisposeAsync();
    }

    static JobProgress AtCheckpoint(string id, int step, JobPhase phase = JobPhase.Running) => new(id, "training", phase, step, 1000, null, DateTimeOffset.UtcNow);

    [Fact]
    public async Task TheNewestLoggedStepAndItsFiguresLeadTheBar()
    {
        await using var store = RegistryStore.Create(_pg!.ConnectionString);
        var run = await store.Runs.CreateAsync(new NewRun(RunKind.SaeTraining, "{}", TotalSteps: 1000));
        var live = LiveTraining.Run(store, run.Id, 1000, CancellationToken.None);
        Assert.Null(await live(AtCheckpoint(run.Id, 0)));

        await store.Metrics.AppendAsync([
            new MetricPoint(run.Id, "loss", 100, 0.5), new MetricPoint(run.Id, "fvu", 100, 0.4), new MetricPoint(run.Id, "l0", 100, 60),
            new MetricPoint(run.Id, "loss", 300, 0.25), new MetricPoint(run.Id, "fvu", 300, 0.125), new MetricPoint(run.Id, "l0", 300, 31.94),
            new MetricPoint(run.Id, "dead_fraction", 300, 0.1),
        ]);
        var (fraction, note) = (await live(AtCheckpoint(run.Id, 200)))!.Value;
        Assert.Equal(0.3, fraction, 6);
        Assert.Equal("step 300/1000 loss 0.25 FVU 0.1250 L0 31.9", note);

        Assert.Null(await live(AtCheckpoint(run.Id, 1000, JobPhase.Succeeded)));
    }
}
