using System.Text.Json;
using MMInterp.Grains.Contracts.Experiments;
using MMInterp.Grains.Contracts.Jobs;
using MMInterp.Grains.Lifecycle;
using MMInterp.Grains.Placement;
using MMInterp.Grains.Telemetry;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace MMInterp.Grains.Experiments;

/// <summary>
/// Runs one analysis on an accelerator silo and records it. The executor computes on a thread-pool thread; this grain
/// keeps the phase in persisted state and writes the outcome to the registry before it reports success. An analysis
/// has no checkpoints: after a silo dies, the reminder re-activates the grain elsewhere and it runs again from the
/// start (recording is idempotent).
/// </summary>
[AcceleratorPlacement]
public sealed class ExperimentGrain(
    [PersistentState("experiment", "jobs")] IPersistentState<ExperimentState> state,
    IAnalysisExecutor executor,
    DeviceSlots slots,
    IExperimentRecorder recorder,
    IRunRecorder runs,
    IOptions<JobOptions> timing,
    ILogger<ExperimentGrain> log) : Grain, IExperimentGrain, IRemindable
{
    JobSettlement<ExperimentState>? _end;
    JobSettlement<ExperimentState> End => _end ??= new(this, state, new ExperimentSettlementRecorder(runs, recorder));
    ExecutorWork<ExperimentState>? _work;
    // Failures are classified once (JobFailure): a bad spec or artefact fails; the rest runs again after a backoff.
    ExecutorWork<ExperimentState> Work => _work ??= new(this, state, End, timing.Value, log, "experiment", relaunch: Launch);
    (int Done, int Total, string Note) _progress = (0, 1, "");

    string Id => this.GetPrimaryKeyString();

    public override async Task OnActivateAsync(CancellationToken ct)
    {
        if (state.State.Phase != JobPhase.Running) return;
        try { await Launch(); }
        catch (Exception e) { log.LogWarning("experiment {Id}: could not launch on activation ({Error}); the reminder will retry", Id, e.Message); }
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken ct) => Work.StopAsync(ct);

    public async Task<JobProgress> Start(AnalysisSpec spec)
    {
        spec.Validated();
        await new JobStart<ExperimentState, AnalysisSpec>(this, state, timing.Value, "experiment").StartAsync(spec,
            record: async () =>
            {
                await recorder.CreatedAsync(Id, spec);
                await runs.StartedAsync(Id, "analysis", JsonSerializer.Serialize(spec), 1, null);
            },
            launch: Launch);
        return Progress();
    }

    public Task<JobProgress> Status() => Task.FromResult(Progress());

    public Task Cancel() => End.CancelAsync(Work.Cancel);

    public Task ReportProgress(int done, int total, string note)
    {
        _progress = (Math.Max(0, done), Math.Max(1, total), note);
        return Task.CompletedTask;
    }

    public Task ReceiveReminder(string reminderName, TickStatus status) => End.TickAsync(Work.InFlight, Launch);

    async Task Launch()
    {
        if (Work.InFlight) return;
        state.State.Starts++;
        await state.WriteStateAsync();
        DelayDeactivation(TimeSpan.FromDays(1));
        var spec = state.State.Spec!;
        var self = this.AsReference<IExperimentGrain>();
        var id = Id;
        // The experiment holds a device slot of this silo while its analysis runs, as training and extraction do.
        Work.Run(async ct =>
            {
                using var lease = slots.Lease();
                return await executor.RunAsync(id, spec, self.ReportProgress, lease.Slot, ct);
            },
            record: outcome => recorder.RecordAsync(id, spec, outcome),
            trace: () => PlatformTelemetry.Source.StartActivity("experiment.analysis")
                ?.SetTag("mminterp.experiment", id).SetTag("mminterp.analysis", spec.Kind));
    }

    JobProgress Progress()
    {
        var phase = End.VisiblePhase;
        var (done, total) = phase == JobPhase.Succeeded ? (_progress.Total, _progress.Total) : (_progress.Done, _progress.Total);
        return new JobProgress(Id, state.State.Spec?.Kind ?? "analysis", phase, done, total, state.State.Error, state.State.UpdatedAt)
        {
            Note = phase == JobPhase.Succeeded ? null : _progress.Note,
        };
    }
}
