using System.Collections.Concurrent;
using MMInterp.Grains.Contracts.Jobs;
using MMInterp.Grains.Lifecycle;
using MMInterp.Grains.Placement;
using MMInterp.Grains.Telemetry;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace MMInterp.Grains.TrainingRuns;

/// <summary>
/// Trains a sweep's runs that share their reads (activation set, hook, batch size, steps, seed) in one executor call
/// on an accelerator silo: each batch is read and shuffled once and stepped by every member. It keeps each member's
/// newest checkpoint, passes it on to the member's TrainingRun grain (which users see), and at the end delivers each
/// member's outcome to its run. A relaunch (after its silo died) resumes every member from its own checkpoint; members
/// at different steps resume together from the earliest, each stepping again from its own step (the trainer's rule),
/// so each ends as a run of its own would. Cancelled (dropped) and delivered members are not trained again.
/// It records nothing in the registry itself: the runs are the records. Each member's newest step and figures (live
/// progress) land in this activation's memory from the training thread and are relayed to the member runs by a timer,
/// at most twice a second per member and only when they moved: never a call or a write per step.
/// </summary>
[AcceleratorPlacement]
public sealed class TrainingPackGrain(
    [PersistentState("pack", "jobs")] IPersistentState<TrainingPackState> state,
    IPackTrainingExecutor executor,
    DeviceSlots slots,
    IRunRecorder recorder,
    IOptions<JobOptions> timing,
    ILogger<TrainingPackGrain> log) : Grain, ITrainingPackGrain, IRemindable
{
    JobSettlement<TrainingPackState>? _end;
    JobSettlement<TrainingPackState> End => _end ??= new(this, state, recorder);
    ExecutorWork<TrainingPackState>? _training;
    // Permanent failures are delivered to the members as their failures (see Train); a transient one is retried with
    // backoff, and when the pack gives up, its members fail with the pack's reason.
    ExecutorWork<TrainingPackState> Training => _training ??= new(this, state, End, timing.Value, log, "training pack",
        relaunch: Launch, failing: FailLeft);
    readonly Dictionary<string, CancellationTokenSource> _stops = new();
    /// <summary>Each member's newest step figures, written by the training thread; <see cref="_relayed"/>: the step
    /// last passed on to its run.</summary>
    readonly ConcurrentDictionary<string, TrainingFigures> _live = new();
    readonly Dictionary<string, long> _relayed = new();
    IGrainTimer? _relay;
    static readonly TimeSpan RelayEvery = TimeSpan.FromMilliseconds(500);

    public override async Task OnActivateAsync(CancellationToken ct)
    {
        if (state.State.Phase != JobPhase.Running) return;
        try
        {
            await Launch();
        }
        catch (Exception e)
        {
            log.LogWarning("pack {Pack}: could not launch on activation ({Error}); the reminder will retry", this.GetPrimaryKeyString(), e.Message);
        }
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken ct) => Training.StopAsync(ct);

    public Task Start(TrainingPackSpec spec)
    {
        spec.Validated(this.GetPrimaryKeyString());
        TrainingConfigs.Check($"training pack '{this.GetPrimaryKeyString()}'", spec.Members.Select(m => (m.RunId, m.Spec)).ToList(), slots.MemoryBytes);
        return new JobStart<TrainingPackState, TrainingPackSpec>(this, state, timing.Value, "training pack")
            .StartAsync(spec, record: () => Task.CompletedTask, launch: Launch);
    }

    public async Task Resume()
    {
        if (state.State.Phase != JobPhase.Running || Training.InFlight) return;
        try
        {
            await Launch();
        }
        catch (Exception e)
        {
            log.LogWarning("pack {Pack}: could not relaunch ({Error}); the reminder will retry", this.GetPrimaryKeyString(), e.Message);
        }
    }

    public async Task Drop(string runId)
    {
        if (state.State.Spec is null || !state.State.Dropped.Add(runId)) return;
        if (_stops.TryGetValue(runId, out var stop)) stop.Cancel();
        await state.WriteStateAsync();
    }

    public Task<TrainingRunHost> Host() =>
        Task.FromResult(new TrainingRunHost(state.State.LastSilo, state.State.Starts, state.State.ResumedFromStep));

    public Task<JobProgress> Status()
    {
        var members = state.State.Spec?.Members ?? [];
        var finished = members.Count(m => state.State.Settled.Contains(m.RunId) || state.State.Dropped.Contains(m.RunId));
        return Task.FromResult(new JobProgress(this.GetPrimaryKeyString(), "pack", End.VisiblePhase, finished, members.Count,
            state.State.Error, state.State.UpdatedAt));
    }

    public async Task ReportCheckpoint(string runId, RunCheckpoint checkpoint)
    {
        // A stale executor (from before a restart) may report an older step; never go backwards.
        if (state.State.Checkpoints.TryGetValue(runId, out var current) && current.Step >= checkpoint.Step) return;
        state.State.Checkpoints[runId] = checkpoint;
        Training.Progressed();
        state.State.UpdatedAt = DateTimeOffset.UtcNow;
        await state.WriteStateAsync();
        try
        {
            await GrainFactory.GetGrain<ITrainingRunGrain>(runId).ReportCheckpoint(checkpoint);
        }
        catch (Exception e)
        {
            // The pack's copy is what a relaunch resumes from; the run catches up at its next checkpoint.
            log.LogWarning("pack {Pack}: could not pass run {Run}'s checkpoint on: {Error}", this.GetPrimaryKeyString(), runId, e.Message);
        }
    }

    public Task ReceiveReminder(string reminderName, TickStatus status) => End.TickAsync(Training.InFlight, Launch);

    async Task Launch()
    {
        if (Training.InFlight) return;
        var left = state.State.Spec!.Members
            .Where(m => !state.State.Dropped.Contains(m.RunId) && !state.State.Settled.Contains(m.RunId)).ToList();
        if (left.Count == 0)
        {
            await End.FinishAsync(JobPhase.Succeeded, null);
            return;
        }
        var resume = left.ToDictionary(m => m.RunId, m => state.State.Checkpoints.GetValueOrDefault(m.RunId));
        state.State.ResumedFromStep = resume.Values.Min(c => c?.Step ?? 0);
        await LaunchCount.RecordAsync(state, RuntimeIdentity);

        DelayDeactivation(TimeSpan.FromDays(7));
        foreach (var stop in _stops.Values) stop.Dispose();
        _stops.Clear();
        foreach (var m in left) _stops[m.RunId] = new CancellationTokenSource();
        _live.Clear();
        _relayed.Clear();
        _relay ??= this.RegisterGrainTimer(Relay, new GrainTimerCreationOptions(RelayEvery, RelayEvery));
        var work = left.Select(m => new PackMember(m.RunId, m.Spec, resume[m.RunId], _stops[m.RunId].Token,
            Stepped: f => _live[m.RunId] = f)).ToList();
        var self = this.AsReference<ITrainingPackGrain>();
        Training.Run(ct => Train(work, self, ct),
            record: Deliver,
            trace: () => PlatformTelemetry.Source.StartActivity("training.pack")?.SetTag("mminterp.pack", this.GetPrimaryKeyString())
                ?.SetTag("mminterp.members", work.Count));
    }

    async Task<IReadOnlyDictionary<string, PackOutcome>> Train(IReadOnlyList<PackMember> work, ITrainingPackGrain self, CancellationToken ct)
    {
        try
        {
            // The pack holds a device slot of this silo while it trains, as a single run does.
            using var lease = slots.Lease();
            return await executor.TrainAsync(work, self.ReportCheckpoint, lease.Slot, ct);
        }
        catch (Exception e) when (JobFailure.Classify(e) == FailureKind.Permanent)
        {
            // Bad spec or data: every member would fail the same way on a retry.
            var reason = JobFailure.Reason(e);
            return work.ToDictionary(m => m.RunId, _ => new PackOutcome(null, reason));
        }
    }

    /// <summary>Passes each member's newest step on to its run when it moved (one-way calls; a lost one is replaced
    /// by the next). Members settled or dropped are left alone.</summary>
    Task Relay(CancellationToken ct)
    {
        foreach (var (runId, figures) in _live)
        {
            if (_relayed.TryGetValue(runId, out var sent) && sent == figures.Step) continue;
            if (state.State.Settled.Contains(runId) || state.State.Dropped.Contains(runId)) continue;
            _relayed[runId] = figures.Step;
            try
            {
                _ = GrainFactory.GetGrain<ITrainingRunGrain>(runId).ReportStep(figures);
            }
            catch (Exception e)
            {
                log.LogDebug("pack {Pack}: could not relay run {Run}'s step: {Error}", this.GetPrimaryKeyString(), runId, e.Message);
            }
        }
        // Training over (its outcome delivered or a retry pending): nothing moves until the next launch registers it again.
        if (!Training.InFlight)
        {
            _relay?.Dispose();
            _relay = null;
        }
        return Task.CompletedTask;
    }

    /// <summary>The pack gave up: every member not yet settled or dropped fails with its reason.</summary>
    Task FailLeft(string reason) => Deliver(state.State.Spec!.Members
        .Where(m => !state.State.Dropped.Contains(m.RunId) && !state.State.Settled.Contains(m.RunId))
        .ToDictionary(m => m.RunId, _ => new PackOutcome(null, reason)));

    /// <summary>Each member's outcome to its run (the final checkpoint before success), remembered one by one.</summary>
    async Task Deliver(IReadOnlyDictionary<string, PackOutcome> outcomes)
    {
        foreach (var (runId, outcome) in outcomes)
        {
            if (state.State.Settled.Contains(runId)) continue;
            var run = GrainFactory.GetGrain<ITrainingRunGrain>(runId);
            if (outcome.Final is { } final)
            {
                state.State.Checkpoints[runId] = final;
                await run.ReportFinished(final);
            }
            else
            {
                await run.ReportFailed(outcome.Error ?? "the pack did not train this run");
            }
            state.State.Settled.Add(runId);
            await state.WriteStateAsync();
        }
    }
}
