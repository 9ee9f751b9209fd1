using System.Text.Json;
using MMInterp.Grains.Contracts.Jobs;
using MMInterp.Grains.Lifecycle;
using MMInterp.Grains.Placement;
using MMInterp.Kernels.Sae.Metrics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace MMInterp.Grains.Sweeps;

/// <summary>
/// Fans a sweep out into TrainingRun grains, packing the runs that share their reads into TrainingPack grains (which
/// placement spreads over the accelerators; each reads every batch once for its members), follows the runs with a
/// timer, and records each finished run's L0 and FVU (or, for a failed point, its reason) and the Pareto front of the
/// points that succeeded. A reminder brings it back after a crash. Its spec is checked point by point before anything
/// starts (<see cref="SweepPoints"/>); a fan-out that fails is classified like every job's failure (permanent: the
/// sweep fails with the reason; transient: tried again with backoff).
/// </summary>
[ControlPlacement]
public sealed class SweepGrain(
    [PersistentState("sweep", "jobs")] IPersistentState<SweepState> state,
    IRunRecorder recorder,
    IOptions<JobOptions> timing,
    ILogger<SweepGrain> log) : Grain, ISweepGrain, IRemindable
{
    IGrainTimer? _poll;
    /// <summary>Whether this activation has started every run and pack (each Start is a no-op for one already started).</summary>
    bool _fannedOut;
    DateTimeOffset _nextFanOut;
    /// <summary>Each run's status at the last poll (live progress, in memory only): what <see cref="Progress"/> sums.</summary>
    readonly Dictionary<string, JobProgress> _runs = new();

    string Id => this.GetPrimaryKeyString();

    public override Task OnActivateAsync(CancellationToken ct)
    {
        if (state.State.Phase == JobPhase.Running) StartPolling();
        return Task.CompletedTask;
    }

    public async Task<JobProgress> Start(SweepSpec spec)
    {
        // Every grid value parsed against its field and every point's config validated: nothing starts otherwise.
        var runs = SweepPoints.Checked(spec, Id);
        await new JobStart<SweepState, SweepSpec>(this, state, timing.Value, "sweep").StartAsync(spec,
            record: async () =>
            {
                await recorder.StartedAsync(Id, "sweep", JsonSerializer.Serialize(spec), runs.Count, null);
                // Persisted with the spec, so a sweep is never stored as running without its runs.
                state.State.Runs = SweepPacking.Of(Id, runs, spec.MembersPerPack).Runs.ToDictionary(r => r.RunId, r => r.Label);
            },
            launch: Launch,
            same: SameSpec);
        return Progress();
    }

    /// <summary>Starts every run and pack and follows them, so the same spec started again after a crash between
    /// persisting the sweep and starting its runs starts the rest.</summary>
    async Task Launch()
    {
        _fannedOut = false;
        await FanOut();
        StartPolling();
    }

    /// <summary>
    /// Starts every run, then every pack. Points that share their reads train in packs (one read of each batch per
    /// pack); a packed run only makes sure its pack trains, so the runs start first and the packs find them running.
    /// </summary>
    async Task FanOut()
    {
        var spec = state.State.Spec!;
        try
        {
            var plan = SweepPacking.Of(Id, spec.Expand(Id), spec.MembersPerPack);
            await Task.WhenAll(plan.Runs.Select(r => GrainFactory.GetGrain<ITrainingRunGrain>(r.RunId).Start(r.Spec)));
            await Task.WhenAll(plan.Packs.Select(p => GrainFactory.GetGrain<ITrainingPackGrain>(p.PackId).Start(p.Spec)));
            _fannedOut = true;
        }
        catch (Exception e) when (!JobFailure.IsStaleState(e))
        {
            var decision = JobRetry.Decide(state.State, e, timing.Value);
            if (!decision.Retry)
            {
                log.LogWarning("sweep {Sweep} failed to start its runs ({Kind}): {Reason}", Id, decision.Kind.ToString().ToLowerInvariant(), decision.Reason);
                await CancelRuns();
                await Finish(JobPhase.Failed, $"could not start its runs: {decision.Reason}");
                return;
            }
            _nextFanOut = DateTimeOffset.UtcNow + decision.Delay;
            log.LogWarning("sweep {Sweep}: starting its runs failed ({Failures} of {Max}): {Reason}; retrying in {Delay}",
                Id, state.State.TransientFailures, timing.Value.MaxAttempts, decision.Reason, decision.Delay);
            await state.WriteStateAsync();
        }
    }

    public Task<JobProgress> Status() => Task.FromResult(Progress());

    public Task<IReadOnlyList<SweepRunResult>> Results() => Task.FromResult<IReadOnlyList<SweepRunResult>>(state.State.Results);

    public async Task Cancel()
    {
        if (state.State.Phase != JobPhase.Running) return;
        await CancelRuns();
        await Finish(JobPhase.Cancelled, null);
    }

    Task CancelRuns() => Task.WhenAll(state.State.Runs.Keys.Select(id => GrainFactory.GetGrain<ITrainingRunGrain>(id).Cancel()));

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
        try
        {
            // A new activation (after a crash) makes sure every run and pack was started, once, after any backoff.
            if (!_fannedOut && DateTimeOffset.UtcNow >= _nextFanOut) await FanOut();
            if (state.State.Phase != JobPhase.Running) return;
            await Collect();
        }
        catch (Exception e) when (JobFailure.IsStaleState(e))
        {
            log.LogWarning("sweep {Sweep}: its stored state was changed elsewhere; this activation steps down and the next carries on", Id);
            this.DeactivateOnIdle();
        }
        catch (Exception e)
        {
            // A run unreachable for a moment (its silo restarting): the next poll asks again.
            log.LogWarning("sweep {Sweep}: could not follow its runs: {Error}", Id, JobFailure.Reason(e));
        }
    }

    async Task Collect()
    {
        var results = new List<SweepRunResult>();
        var allDone = true;
        foreach (var (id, label) in state.State.Runs.OrderBy(r => r.Key, StringComparer.Ordinal))
        {
            var run = GrainFactory.GetGrain<ITrainingRunGrain>(id);
            var progress = await run.Status();
            _runs[id] = progress;
            allDone &= progress.Finished;
            var metrics = progress.Phase == JobPhase.Succeeded ? (await run.LastCheckpoint())?.Metrics : null;
            var l0 = metrics?.GetValueOrDefault("l0", double.NaN) ?? double.NaN;
            var fvu = metrics?.GetValueOrDefault("fvu", double.NaN) ?? double.NaN;
            var error = progress.Phase switch
            {
                JobPhase.Failed => string.IsNullOrWhiteSpace(progress.Error) ? "no reason was recorded" : progress.Error,
                JobPhase.Succeeded when !double.IsFinite(l0) || !double.IsFinite(fvu) => "it reported no finite L0 and FVU",
                _ => null,
            };
            results.Add(new SweepRunResult(id, label, progress.Phase, l0, fvu, false, error));
        }
        // Only points with results stand on the front; a failed point's NaNs are no result.
        var front = ParetoFront.Of(results.Where(r => r.Succeeded).Select(r => new ParetoFront.Point(r.RunId, r.L0, r.Fvu)))
            .Select(p => p.Id).ToHashSet();
        state.State.Results = results.Select(r => r with { OnFront = front.Contains(r.RunId) }).ToList();
        state.State.UpdatedAt = DateTimeOffset.UtcNow;
        if (!allDone)
        {
            await state.WriteStateAsync();
            return;
        }
        var failed = state.State.Results.Where(r => !r.Succeeded).Select(r => r.FailureLine).ToList();
        await Finish(state.State.Results.Any(r => r.Succeeded) ? JobPhase.Succeeded : JobPhase.Failed, Summary(failed));
    }

    /// <summary>The failed points for the sweep's error; the first few in full, the rest counted (each is in the results).</summary>
    static string? Summary(IReadOnlyList<string> failed) => failed.Count switch
    {
        0 => null,
        <= MaxNamedFailures => string.Join("; ", failed),
        _ => string.Join("; ", failed.Take(MaxNamedFailures)) + $"; and {failed.Count - MaxNamedFailures} more failed points (see the sweep's results)",
    };

    const int MaxNamedFailures = 8;

    /// <summary>Ends the sweep; <paramref name="error"/> names each point that did not succeed (also on a sweep that
    /// succeeded with some), so `status` and the registry show why.</summary>
    async Task Finish(JobPhase phase, string? error)
    {
        state.State.Phase = phase;
        state.State.Error = error;
        state.State.UpdatedAt = DateTimeOffset.UtcNow;
        await state.WriteStateAsync();
        await recorder.FinishedAsync(Id, phase, error);
        _poll?.Dispose();
        _poll = null;
        await ResumeReminder.StopAsync(this);
    }

    /// <summary>The same search: a spec comes back from storage or a new client with equal values in new collections.</summary>
    static bool SameSpec(SweepSpec a, SweepSpec b) =>
        a.Base == b.Base && a.Random == b.Random && a.Samples == b.Samples && a.Seed == b.Seed && a.MembersPerPack == b.MembersPerPack
        && a.Axes.Count == b.Axes.Count
        && a.Axes.All(axis => b.Axes.TryGetValue(axis.Key, out var values) && axis.Value.SequenceEqual(values));

    JobProgress Progress()
    {
        var done = state.State.Results.Count(r => r.Phase is JobPhase.Succeeded or JobPhase.Failed or JobPhase.Cancelled);
        return new(Id, "sweep", state.State.Phase, done, state.State.Runs.Count, state.State.Error, state.State.UpdatedAt)
        {
            Live = state.State.Phase == JobPhase.Running ? Live() : null,
            Note = state.State.Phase == JobPhase.Running && state.State.Runs.Count > 0 ? $"{done}/{state.State.Runs.Count} runs done" : null,
        };
    }

    /// <summary>The runs' steps summed over their steps summed (a finished run counts in full), with the figures of
    /// the running run whose FVU is lowest; null before the first poll saw a run training.</summary>
    TrainingFigures? Live()
    {
        var statuses = state.State.Runs.Keys.Select(id => _runs.GetValueOrDefault(id)).ToList();
        if (statuses.All(p => p?.Live is null)) return null;
        var stepsPerRun = state.State.Spec?.Base.Steps ?? 0;
        long step = 0, steps = 0;
        foreach (var p in statuses)
        {
            var total = p?.Total > 0 ? p.Total : stepsPerRun;
            steps += total;
            step += p is null ? 0 : p.Finished ? total : Math.Min(p.Done, total);
        }
        var best = statuses.Select(p => p?.Live).Where(l => l is not null && double.IsFinite(l.Fvu)).MinBy(l => l!.Fvu)
                   ?? statuses.Select(p => p?.Live).First(l => l is not null);
        return new TrainingFigures(step, steps, best!.Loss, best.Fvu, best.L0);
    }
}
