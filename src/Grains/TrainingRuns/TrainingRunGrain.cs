using System.Text.Json;
using MMInterp.Grains.Contracts.Jobs;
using MMInterp.Grains.Lifecycle;
using MMInterp.Grains.Placement;
using MMInterp.Grains.Telemetry;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace MMInterp.Grains.TrainingRuns;

/// <summary>
/// Orchestrates one SAE training run on an accelerator silo. The executor trains on a thread-pool thread and reports
/// checkpoints back through this grain's reference, which persists them. A reminder re-activates the run after its
/// silo dies; the new activation (placed on a live accelerator) resumes from the last persisted checkpoint.
/// A packed run (spec.PackId, a sweep's grid point) does not train itself: its TrainingPack grain trains it with the
/// pack's other runs and reports its checkpoints and its outcome here; launching it (activation, reminder) only
/// makes sure the pack is training, and cancelling it drops it from the pack.
/// </summary>
[AcceleratorPlacement]
public sealed class TrainingRunGrain(
    [PersistentState("training", "jobs")] IPersistentState<TrainingRunState> state,
    ITrainingExecutor executor,
    IRunRecorder recorder,
    IOptions<JobOptions> timing,
    DeviceSlots slots,
    ILogger<TrainingRunGrain> log) : Grain, ITrainingRunGrain, IRemindable
{
    /// <summary>The newest step's figures while training (live progress): written by the executor's thread (a run of
    /// its own) or by the pack's ReportStep; in memory only, read by Status.</summary>
    volatile TrainingFigures? _live;
    JobSettlement<TrainingRunState>? _end;
    JobSettlement<TrainingRunState> End => _end ??= new(this, state, recorder);
    ExecutorWork<TrainingRunState>? _training;
    // Failures are classified once (JobFailure): a bad config, bad data or a diverged run fails; the rest retries.
    ExecutorWork<TrainingRunState> Training => _training ??= new(this, state, End, timing.Value, log, "training run", relaunch: Launch);

    public override async Task OnActivateAsync(CancellationToken ct)
    {
        if (state.State.Phase != JobPhase.Running) return;
        try
        {
            await Launch();
        }
        catch (Exception e)
        {
            // Database unreachable: stay active so status calls work; the next reminder tick launches the run.
            log.LogWarning("run {Run}: could not launch on activation ({Error}); the reminder will retry", this.GetPrimaryKeyString(), e.Message);
        }
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken ct) => Training.StopAsync(ct);

    public async Task<JobProgress> Start(TrainingRunSpec spec)
    {
        spec.Validated();
        // A packed run's sizes are checked by its pack (every member on one device).
        TrainingConfigs.Check($"training run '{this.GetPrimaryKeyString()}'", [(this.GetPrimaryKeyString(), spec)], spec.PackId is null ? slots.MemoryBytes : 0);
        await new JobStart<TrainingRunState, TrainingRunSpec>(this, state, timing.Value, "training run").StartAsync(spec,
            record: () => recorder.StartedAsync(this.GetPrimaryKeyString(), "training", JsonSerializer.Serialize(spec), spec.Steps, spec.SweepId),
            launch: Launch);
        return Progress();
    }

    public Task<JobProgress> Status() => Task.FromResult(Progress());

    public Task<RunCheckpoint?> LastCheckpoint() => Task.FromResult(state.State.Checkpoint);

    public Task<TrainingRunHost> Host() => Pack is { } pack
        ? pack.Host()
        : Task.FromResult(new TrainingRunHost(state.State.LastSilo, state.State.Starts, state.State.ResumedFromStep));

    public async Task Cancel()
    {
        if (Pack is { } pack && state.State.Phase == JobPhase.Running) await pack.Drop(this.GetPrimaryKeyString());
        await End.CancelAsync(Training.Cancel);
    }

    public async Task ReportFinished(RunCheckpoint final)
    {
        if (state.State.Phase != JobPhase.Running) return;
        await ReportCheckpoint(final);
        await End.FinishAsync(JobPhase.Succeeded, null);
    }

    public Task ReportStep(TrainingFigures figures)
    {
        if (state.State.Phase == JobPhase.Running) _live = figures;
        return Task.CompletedTask;
    }

    public Task ReportFailed(string error) =>
        state.State.Phase == JobPhase.Running ? End.FinishAsync(JobPhase.Failed, error) : Task.CompletedTask;

    /// <summary>The pack that trains this run, or null when it trains on its own.</summary>
    ITrainingPackGrain? Pack => state.State.Spec?.PackId is { } id ? GrainFactory.GetGrain<ITrainingPackGrain>(id) : null;

    public async Task ReportCheckpoint(RunCheckpoint checkpoint)
    {
        // A finished run keeps where it ended: a pack may still pass on a checkpoint it wrote before it saw the cancel.
        if (state.State.Phase != JobPhase.Running) return;
        // A stale executor (from before a restart) may report an older step; never go backwards.
        if (state.State.Checkpoint is { } current && current.Step >= checkpoint.Step) return;
        state.State.Checkpoint = checkpoint;
        Training.Progressed();
        state.State.UpdatedAt = DateTimeOffset.UtcNow;
        await state.WriteStateAsync();
        var steps = state.State.Spec?.Steps ?? 0;
        try
        {
            await recorder.ProgressAsync(this.GetPrimaryKeyString(), checkpoint.Step, steps == 0 ? 0 : (double)checkpoint.Step / steps);
        }
        catch (Exception e)
        {
            log.LogWarning("run {Run}: could not record progress: {Error}", this.GetPrimaryKeyString(), e.Message);
        }
    }

    public Task ReceiveReminder(string reminderName, TickStatus status) => End.TickAsync(Training.InFlight, Launch);

    async Task Launch()
    {
        if (Training.InFlight) return;
        if (Pack is { } pack)
        {
            // One way: the pack calls this run back with checkpoints and its outcome.
            await pack.Resume();
            return;
        }
        var spec = state.State.Spec!;
        var runId = this.GetPrimaryKeyString();
        var resumeFrom = state.State.Checkpoint;
        state.State.ResumedFromStep = resumeFrom?.Step ?? 0;
        _live = null;
        await LaunchCount.RecordAsync(state, RuntimeIdentity);

        DelayDeactivation(TimeSpan.FromDays(7));
        var self = this.AsReference<ITrainingRunGrain>();
        // Checkpoints come back as ordinary grain calls; the final one is recorded before the run succeeds.
        // The run holds a device slot of this silo while it trains, not while its finished activation idles.
        Training.Run(async ct =>
            {
                using var lease = slots.Lease();
                // Each step's figures land in this activation's memory: a field write, no call, no storage.
                return await executor.TrainAsync(runId, spec, resumeFrom, self.ReportCheckpoint, lease.Slot, ct, onStep: f => _live = f);
            },
            record: ReportCheckpoint,
            trace: () => PlatformTelemetry.Source.StartActivity("training.run")?.SetTag("mminterp.run", runId));
    }

    JobProgress Progress()
    {
        var spec = state.State.Spec;
        var phase = End.VisiblePhase;
        var step = state.State.Checkpoint?.Step ?? 0;
        // While it trains, the newest step (between checkpoints) with its figures; a step behind the checkpoint is
        // from a launch before the last restart.
        var live = phase == JobPhase.Running && _live is { } l && l.Step >= step ? l : null;
        if (live is not null) step = live.Step;
        return new JobProgress(this.GetPrimaryKeyString(), "training", phase,
            (int)Math.Min(step, int.MaxValue), (int)Math.Min(spec?.Steps ?? 0, int.MaxValue), state.State.Error, state.State.UpdatedAt)
        {
            CheckpointArtefact = state.State.Checkpoint?.Artefact,
            Live = live,
        };
    }
}
