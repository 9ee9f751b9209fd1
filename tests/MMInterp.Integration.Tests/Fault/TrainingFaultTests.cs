using System.Diagnostics;
using MMInterp.Grains.Contracts.Jobs;
using MMInterp.Grains.Placement;
using MMInterp.Grains.Registry;
using MMInterp.Silo.Storage;
using Npgsql;
using Xunit;
using Xunit.Abstractions;

namespace MMInterp.Integration.Tests.Fault;

/// <summary>
/// What a user relies on when a long SAE run meets a crash: it finishes anyway, from its last checkpoint, and the
/// registry ends up as if nothing happened (one succeeded run, one dictionary, one metric point per logged step,
/// every stored artefact intact). Real silo processes, killed with SIGKILL; a real Postgres, restarted.
/// </summary>
public sealed class TrainingFaultTests(FaultCluster fx, ITestOutputHelper output) : IClassFixture<FaultCluster>
{
    [Fact]
    public async Task RunOnAKilledAcceleratorSiloResumesOnTheOtherFromItsLastCheckpoint()
    {
        const string runId = "fault-kill";
        var spec = fx.Spec(seed: 7);
        var run = fx.Grains.GetGrain<ITrainingRunGrain>(runId);
        var clock = Stopwatch.StartNew();
        await run.Start(spec);
        var first = await run.Host();
        var victim = fx.SiloAt(first.Silo);
        Assert.Equal(SiloRole.Accelerator, victim.Role);
        Assert.Equal(1, first.Starts);

        // Kill once a quarter of the run is checkpointed, so there is both a checkpoint to resume and work left.
        var seen = await fx.WaitForAsync(() => fx.Registry.Runs.GetAsync(runId), r => r is { } x && (x.Step >= spec.Steps / 4 || x.IsTerminal),
            TimeSpan.FromMinutes(2), $"run {runId} reaching step {spec.Steps / 4}");
        Assert.False(seen!.IsTerminal, $"the run ended ({seen.Status}) before it could be killed at step {seen.Step}; make it longer");
        output.WriteLine($"{clock.Elapsed.TotalSeconds:F1} s: step {seen.Step}/{spec.Steps} checkpointed; kill -9 {victim.Name} (pid {victim.Process.Id})");
        var killedAt = DateTimeOffset.UtcNow;
        await victim.Process.KillAsync(TimeSpan.FromSeconds(30));
        try
        {
            await AfterKillAsync(run, runId, spec, seen, victim, killedAt, clock);
        }
        finally
        {
            await fx.ReviveAsync(victim);
        }
    }

    async Task AfterKillAsync(ITrainingRunGrain run, string runId, TrainingRunSpec spec, RunRecord seen, FaultCluster.Silo victim,
        DateTimeOffset killedAt, Stopwatch clock)
    {
        // Watch the registry, not the grain: a status call would re-activate the run itself, and what is under test
        // is that the cluster does it (membership declares the silo dead, the resume reminder fires elsewhere).
        var moving = await fx.WaitForAsync(() => fx.Registry.Runs.GetAsync(runId), r => r is { } x && (x.Step > seen.Step + spec.CheckpointEvery || x.IsTerminal),
            TimeSpan.FromMinutes(2), $"run {runId} making progress again after its silo was killed");
        output.WriteLine($"{clock.Elapsed.TotalSeconds:F1} s: progressing again (step {moving!.Step})");
        var done = await fx.WaitForAsync(() => fx.Registry.Runs.GetAsync(runId), r => r is { IsTerminal: true },
            TimeSpan.FromMinutes(3), $"run {runId} finishing after its silo was killed");
        output.WriteLine($"{clock.Elapsed.TotalSeconds:F1} s: run {done!.Status}");
        Assert.True(done.Status == RunStatus.Succeeded, $"run {done.Status}: {done.Error}\n{fx.Logs()}");

        var host = await run.Host();
        output.WriteLine($"resumed on {host.Silo} from step {host.ResumedFromStep}, {host.Starts} starts");
        Assert.True(host.Starts >= 2, $"the run was launched {host.Starts} time(s); the kill should have forced a second launch");
        var survivor = fx.SiloAt(host.Silo);
        Assert.NotEqual(victim.Name, survivor.Name);
        Assert.Equal(SiloRole.Accelerator, survivor.Role);
        // Resumed from (at least) the checkpoint seen before the kill: the step did not go back to 0.
        Assert.InRange(host.ResumedFromStep, seen.Step, spec.Steps - 1);

        await AssertRecordedOnceAsync(runId, spec);
        // The points the killed silo logged up to that checkpoint are the originals, not re-logged by the survivor.
        var early = await MetricTimesAsync(runId, "fvu", seen.Step);
        Assert.Equal(seen.Step / spec.LogEvery, early.Count);
        Assert.All(early, t => Assert.True(t < killedAt, $"fvu point recorded at {t:O}, after the kill at {killedAt:O}: the run restarted from scratch"));
    }

    [Fact]
    public async Task PackOnAKilledAcceleratorSiloResumesEachMemberFromItsOwnCheckpoint()
    {
        const string sweepId = "fault-pack";
        var spec = fx.Spec(seed: 9);
        var sweep = fx.Grains.GetGrain<ISweepGrain>(sweepId);
        var clock = Stopwatch.StartNew();
        await sweep.Start(new SweepSpec(spec, new Dictionary<string, IReadOnlyList<string>> { ["sae.K"] = ["8", "16"] }));
        string[] runIds = [$"{sweepId}-r000", $"{sweepId}-r001"];
        var pack = fx.Grains.GetGrain<ITrainingPackGrain>($"{sweepId}-p000");
        var first = await fx.WaitForAsync(pack.Host, h => h.Starts >= 1, TimeSpan.FromMinutes(1), "the pack launching");
        var victim = fx.SiloAt(first.Silo);
        Assert.Equal(SiloRole.Accelerator, victim.Role);

        var seen = await fx.WaitForAsync(() => fx.Registry.Runs.GetAsync(runIds[0]), r => r is { } x && (x.Step >= spec.Steps / 4 || x.IsTerminal),
            TimeSpan.FromMinutes(2), $"run {runIds[0]} reaching step {spec.Steps / 4}");
        Assert.False(seen!.IsTerminal, $"the run ended ({seen.Status}) before it could be killed at step {seen.Step}; make it longer");
        output.WriteLine($"{clock.Elapsed.TotalSeconds:F1} s: step {seen.Step}/{spec.Steps} checkpointed; kill -9 {victim.Name} (pid {victim.Process.Id})");
        await victim.Process.KillAsync(TimeSpan.FromSeconds(30));
        try
        {
            await AfterPackKillAsync(runIds, pack, spec, victim, clock);
        }
        finally
        {
            await fx.ReviveAsync(victim);
        }
    }

    async Task AfterPackKillAsync(string[] runIds, ITrainingPackGrain pack, TrainingRunSpec spec, FaultCluster.Silo victim, Stopwatch clock)
    {
        foreach (var runId in runIds)
        {
            var done = await fx.WaitForAsync(() => fx.Registry.Runs.GetAsync(runId), r => r is { IsTerminal: true },
                TimeSpan.FromMinutes(3), $"packed run {runId} finishing after its silo was killed");
            Assert.True(done!.Status == RunStatus.Succeeded, $"run {done.Status}: {done.Error}\n{fx.Logs()}");
        }
        output.WriteLine($"{clock.Elapsed.TotalSeconds:F1} s: both runs succeeded");
        var host = await pack.Host();
        output.WriteLine($"pack resumed on {host.Silo} from step {host.ResumedFromStep}, {host.Starts} starts");
        Assert.True(host.Starts >= 2, $"the pack was launched {host.Starts} time(s); the kill should have forced a second launch");
        Assert.NotEqual(victim.Name, fx.SiloAt(host.Silo).Name);
        Assert.InRange(host.ResumedFromStep, spec.CheckpointEvery, spec.Steps - 1);
        // Each member: one row, one dictionary (its own final weights), one metric point per logged step.
        foreach (var runId in runIds) await AssertRecordedOnceAsync(runId, spec);
    }

    [Fact]
    public async Task RunInterruptedByAPostgresRestartRetriesAndFinishes()
    {
        const string runId = "fault-pg";
        var spec = fx.Spec(seed: 8);
        var run = fx.Grains.GetGrain<ITrainingRunGrain>(runId);
        var clock = Stopwatch.StartNew();
        await run.Start(spec);
        var seen = await fx.WaitForAsync(() => fx.Registry.Runs.GetAsync(runId), r => r is { } x && (x.Step >= spec.Steps / 4 || x.IsTerminal),
            TimeSpan.FromMinutes(2), $"run {runId} reaching step {spec.Steps / 4}");
        Assert.False(seen!.IsTerminal, $"the run ended ({seen.Status}) before the database restart at step {seen.Step}; make it longer");

        // Down for several checkpoint intervals, so the run surely meets the outage (a checkpoint or metrics write fails).
        output.WriteLine($"{clock.Elapsed.TotalSeconds:F1} s: step {seen.Step}/{spec.Steps}; stopping Postgres");
        await fx.Pg.StopAsync();
        await Task.Delay(TimeSpan.FromSeconds(4));
        await fx.Pg.StartAgainAsync();
        output.WriteLine($"{clock.Elapsed.TotalSeconds:F1} s: Postgres up again");

        var done = await fx.WaitForAsync(() => fx.Registry.Runs.GetAsync(runId), r => r is { IsTerminal: true },
            TimeSpan.FromMinutes(3), $"run {runId} finishing after the database restart");
        output.WriteLine($"{clock.Elapsed.TotalSeconds:F1} s: run {done!.Status}");
        Assert.True(done.Status == RunStatus.Succeeded, $"run {done.Status}: {done.Error}\n{fx.Logs()}");

        var host = await run.Host();
        output.WriteLine($"last launch on {host.Silo} from step {host.ResumedFromStep}, {host.Starts} starts");
        Assert.True(host.Starts >= 2, $"the run was launched {host.Starts} time(s); the outage should have interrupted it and the reminder relaunched it");
        Assert.InRange(host.ResumedFromStep, 1, spec.Steps - 1);
        await AssertRecordedOnceAsync(runId, spec);
    }

    /// <summary>The registry after a finished run, however many times it was interrupted.</summary>
    async Task AssertRecordedOnceAsync(string runId, TrainingRunSpec spec)
    {
        var row = await fx.Registry.Runs.GetAsync(runId);
        Assert.NotNull(row);
        Assert.Equal(RunStatus.Succeeded, row.Status);
        Assert.Equal(spec.Steps, row.Step);
        Assert.NotNull(row.FinishedAt);

        await using var conn = await PostgresConnections.OpenAsync(fx.Pg.ConnectionString);
        Assert.Equal(1L, await ScalarAsync(conn, "SELECT count(*) FROM runs WHERE id = $1", runId));
        Assert.Equal(1L, await ScalarAsync(conn, "SELECT count(*) FROM dictionaries WHERE training_run_id = $1", runId));

        // The dictionary holds the run's final weights, and the run's last checkpoint is those weights.
        var dictionary = await fx.Registry.Dictionaries.GetAsync(runId);
        Assert.NotNull(dictionary);
        var last = await fx.Grains.GetGrain<ITrainingRunGrain>(runId).LastCheckpoint();
        Assert.NotNull(last);
        Assert.Equal(spec.Steps, last.Step);
        Assert.Equal(last.Artefact, dictionary.CheckpointSha256);

        // Exactly one point per metric per logged step: none lost to the crash, none doubled by the resume.
        var counts = new List<(string Name, long Step, long Count)>();
        await using (var cmd = new NpgsqlCommand("SELECT name, step, count(*) FROM metric_points WHERE run_id = $1 GROUP BY name, step ORDER BY name, step", conn)
                     { Parameters = { new() { Value = runId } } })
        await using (var reader = await cmd.ExecuteReaderAsync())
            while (await reader.ReadAsync()) counts.Add((reader.GetString(0), reader.GetInt64(1), reader.GetInt64(2)));
        var doubled = counts.Where(c => c.Count > 1).Select(c => $"{c.Name}@{c.Step} x{c.Count}").ToList();
        Assert.True(doubled.Count == 0, $"doubled metric points: {string.Join(", ", doubled)}");
        var expected = Enumerable.Range(1, (int)(spec.Steps / spec.LogEvery)).Select(i => (long)i * spec.LogEvery).ToList();
        var names = counts.Select(c => c.Name).Distinct().ToList();
        Assert.Contains("fvu", names);
        Assert.Contains("l0", names);
        Assert.Contains("loss", names);
        foreach (var name in names)
            Assert.Equal(expected, counts.Where(c => c.Name == name).Select(c => c.Step).ToList());

        // Every artefact the registry knows of (checkpoints written by a killed silo included) is whole.
        var artefacts = await fx.Registry.Artefacts.ListAsync(limit: 10_000);
        Assert.Contains(artefacts, a => a.Sha256 == dictionary.CheckpointSha256);
        foreach (var artefact in artefacts) await fx.Store.VerifyAsync(artefact.Sha256);
        output.WriteLine($"{artefacts.Count} artefacts verified; {counts.Count} metric points, {names.Count} series");
    }

    async Task<List<DateTimeOffset>> MetricTimesAsync(string runId, string name, long upToStep)
    {
        await using var conn = await PostgresConnections.OpenAsync(fx.Pg.ConnectionString);
        await using var cmd = new NpgsqlCommand("SELECT recorded_at FROM metric_points WHERE run_id = $1 AND name = $2 AND step <= $3 ORDER BY step", conn)
        { Parameters = { new() { Value = runId }, new() { Value = name }, new() { Value = upToStep } } };
        var times = new List<DateTimeOffset>();
        await using var reader = await cmd.ExecuteReaderAsync();
        while (await reader.ReadAsync()) times.Add(new DateTimeOffset(reader.GetDateTime(0).ToUniversalTime(), TimeSpan.Zero));
        return times;
    }

    static async Task<long> ScalarAsync(NpgsqlConnection conn, string sql, string arg)
    {
        await using var cmd = new NpgsqlCommand(sql, conn) { Parameters = { new() { Value = arg } } };
        return (long)(await cmd.ExecuteScalarAsync())!;
    }
}
