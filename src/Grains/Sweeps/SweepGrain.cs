using System.Text.Json;
using MMInterp.Grains.Contracts.Jobs;
using MMInterp.Grains.Lifecycle;
using MMInterp.Grains.Placement;
using MMInterp.Kernels.Sae.Metrics;
using Microsoft.Extensions.Options;

namespace MMInterp.Grains.Sweeps;

/// <summary>
/// Fans a sweep out into TrainingRun grains, packing the runs that share their reads into TrainingPack grains (which
/// placement spreads over the accelerators; each reads every batch once for its members), follows the runs with a
/// timer, and records each finished run's L0 and FVU and the Pareto front. A reminder brings it back after a crash.
/// </summary>
[ControlPlacement]
public sealed class SweepGrain(
    [PersistentState("sweep", "jobs")] IPersistentState<SweepState> state,
    IRunRecorder recorder,
    IOptions<JobOptions> timing) : Grain, ISweepGrain, IRemindable
{
    IGrainTimer? _poll;

    public override Task OnActivateAsync(CancellationToken ct)
    {
        if (state.State.Phase == JobPhase.Running) StartPolling();
        return Task.CompletedTask;
    }

    public async Task<JobProgress> Start(SweepSpec spec)
    {
        var sweepId = this.GetPrimaryKeyString();
        var runs = spec.Expand(sweepId);
        await new JobStart<SweepState, SweepSpec>(this, state, timing.Value, "sweep").StartAsync(spec,
            record: async () =>
            {
                await recorder.StartedAsync(sweepId, "sweep", JsonSerializer.Serialize(spec), runs.Count, null);
                // Persisted with the spec, so a sweep is never stored as running without its runs.
                state.State.Runs = SweepPacking.Of(sweepId, runs, spec.MembersPerPack).Runs.ToDictionary(r => r.RunId, r => r.Label);
            },
            launch: () => Launch(spec, runs),
            same: SameSpec);
        return Progress();
    }

    /// <summary>Starts every run and pack (a no-op for one already started with its spec) and follows them, so the same
    /// spec started again after a crash between persisting the sweep and starting its runs starts the rest.</summary>
    async Task Launch(SweepSpec spec, IReadOnlyList<(string Label, TrainingRunSpec Spec)> runs)
    {
        await FanOut(spec, runs);
        StartPolling();
    }

    /// <summary>
    /// Starts every run, then every pack. Points that share their reads train in packs (one read of each batch per
    /// pack); a packed run only makes sure its pack trains, so the runs start first and the packs find them running.
    /// </summary>
    async Task FanOut(SweepSpec spec, IReadOnlyList<(string Label, TrainingRunSpec Spec)> runs)
    {
        var plan = SweepPacking.Of(this.GetPrimaryKeyString(), runs, spec.MembersPerPack);
        await Task.WhenAll(plan.Runs.Select(r => GrainFactory.GetGrain<ITrainingRunGrain>(r.RunId).Start(r.Spec)));
        await Task.WhenAll(plan.Packs.Select(p => GrainFactory.GetGrain<ITrainingPackGrain>(p.PackId).Start(p.Spec)));
    }

    public Task<JobProgress> Status() => Task.FromResult(Progress());

    public Task<IReadOnlyList<SweepRunResult>> Results() => Task.FromResult<IReadOnlyList<SweepRunResult>>(state.State.Results);

    public async Task Cancel()
    {
        if (state.State.Phase != JobPhase.Running) return;
        await Task.WhenAll(state.State.Runs.Keys.Select(id => GrainFactory.GetGrain<ITrainingRunGrain>(id).Cancel()));
        await Finish(JobPhase.Cancelled);
    }

    public Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (state.State.Phase == JobPhase.Running) StartPolling();
        return Task.CompletedTask;
    }

    void StartPolling() =>
        _poll ??= this.RegisterGrainTimer(Poll, new GrainTimerCreationOptions(TimeSpan.Zero, TimeSpan.FromSeconds(2)) { KeepAlive = true });

    async Task Poll(CancellationToken ct)
    {
        if (state.State.Phase != JobPhase.Running) return;
        var results = new List<SweepRunResult>();
        var allDone = true;
        foreach (var (id, label) in state.State.Runs)
        {
            var run = GrainFactory.GetGrain<ITrainingRunGrain>(id);
            var progress = await run.Status();
            allDone &= progress.Finished;
            var metrics = progress.Phase == JobPhase.Succeeded ? (await run.LastCheckpoint())?.Metrics : null;
            results.Add(new SweepRunResult(id, label, progress.Phase,
                metrics?.GetValueOrDefault("l0", double.NaN) ?? double.NaN,
                metrics?.GetValueOrDefault("fvu", double.NaN) ?? double.NaN, false));
        }
        var front = ParetoFront.Of(results.Select(r => new ParetoFront.Point(r.RunId, r.L0, r.Fvu))).Select(p => p.Id).ToHashSet();
        state.State.Results = results.Select(r => r with { OnFront = front.Contains(r.RunId) }).ToList();
        state.State.UpdatedAt = DateTimeOffset.UtcNow;
        if (allDone)
            await Finish(results.Any(r => r.Phase == JobPhase.Succeeded) ? JobPhase.Succeeded : JobPhase.Failed);
        else
            await state.WriteStateAsync();
    }

    async Task Finish(JobPhase phase)
    {
        state.State.Phase = phase;
        state.State.UpdatedAt = DateTimeOffset.UtcNow;
        await state.WriteStateAsync();
        await recorder.FinishedAsync(this.GetPrimaryKeyString(), phase, null);
        _poll?.Dispose();
        _poll = null;
        await ResumeReminder.StopAsync(this);
    }

    /// <summary>The same search: a spec comes back from storage or a new client with equal values in new collections.</summary>
    static bool SameSpec(SweepSpec a, SweepSpec b) =>
        a.Base == b.Base && a.Random == b.Random && a.Samples == b.Samples && a.Seed == b.Seed && a.MembersPerPack == b.MembersPerPack
        && a.Axes.Count == b.Axes.Count
        && a.Axes.All(axis => b.Axes.TryGetValue(axis.Key, out var values) && axis.Value.SequenceEqual(values));

    JobProgress Progress() => new(this.GetPrimaryKeyString(), "sweep", state.State.Phase,
        state.State.Results.Count(r => r.Phase is JobPhase.Succeeded or JobPhase.Failed or JobPhase.Cancelled),
        state.State.Runs.Count, null, state.State.UpdatedAt);
}
