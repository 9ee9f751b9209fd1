using System.Text.Json;
using MMInterp.Grains.Contracts.Experiments;
using MMInterp.Grains.Contracts.Jobs;
using MMInterp.Grains.Jobs;
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
    IExperimentRecorder recorder,
    IRunRecorder runs,
    IOptions<JobOptions> timing,
    ILogger<ExperimentGrain> log) : Grain, IExperimentGrain, IRemindable
{
    Task? _work;
    CancellationTokenSource? _cts;
    JobSettlement<ExperimentState>? _end;
    JobSettlement<ExperimentState> End => _end ??= new(this, state, runs);
    (int Done, int Total, string Note) _progress = (0, 1, "");

    string Id => this.GetPrimaryKeyString();

    public override async Task OnActivateAsync(CancellationToken ct)
    {
        if (state.State.Phase != JobPhase.Running) return;
        try { await Launch(); }
        catch (Exception e) { log.LogWarning("experiment {Id}: could not launch on activation ({Error}); the reminder will retry", Id, e.Message); }
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken ct)
    {
        _cts?.Cancel();
        if (_work is { IsCompleted: false } work)
        {
            try { await work.WaitAsync(ct); }
            catch (Exception) { /* the next activation runs it again */ }
        }
    }

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

    public Task Cancel() => End.CancelAsync(() => _cts?.Cancel());

    public Task ReportProgress(int done, int total, string note)
    {
        _progress = (Math.Max(0, done), Math.Max(1, total), note);
        return Task.CompletedTask;
    }

    public Task ReceiveReminder(string reminderName, TickStatus status) => End.TickAsync(_work is { IsCompleted: false }, Launch);

    async Task Launch()
    {
        if (_work is { IsCompleted: false }) return;
        state.State.Starts++;
        await state.WriteStateAsync();
        DelayDeactivation(TimeSpan.FromDays(1));
        _cts = new CancellationTokenSource();
        var spec = state.State.Spec!;
        var self = this.AsReference<IExperimentGrain>();
        var ct = _cts.Token;
        var id = Id;
        var work = Task.Run(() => executor.RunAsync(id, spec, self.ReportProgress, ct), ct);
        _work = Complete(spec, work);
    }

    async Task Complete(AnalysisSpec spec, Task<AnalysisOutcome> work)
    {
        using var activity = PlatformTelemetry.Source.StartActivity("experiment.analysis");
        activity?.SetTag("mminterp.experiment", Id);
        activity?.SetTag("mminterp.analysis", spec.Kind);
        try
        {
            var outcome = await work;
            if (state.State.Phase != JobPhase.Running) return;
            // Recorded before success is reported: a caller that sees Succeeded can read the results.
            await recorder.RecordAsync(Id, spec, outcome);
            await End.FinishAsync(JobPhase.Succeeded, null);
        }
        catch (OperationCanceledException) when (state.State.Phase != JobPhase.Running)
        {
        }
        catch (Exception e) when (e is ArgumentException or InvalidDataException or KeyNotFoundException)
        {
            // A bad spec or bad artefact: running again would fail the same way.
            await End.FinishAsync(JobPhase.Failed, e.Message);
        }
        catch (Exception e)
        {
            log.LogError(e, "experiment {Id} stopped; the reminder will run it again", Id);
        }
    }


    JobProgress Progress()
    {
        var phase = End.VisiblePhase;
        var (done, total) = phase == JobPhase.Succeeded ? (_progress.Total, _progress.Total) : (_progress.Done, _progress.Total);
        return new JobProgress(Id, state.State.Spec?.Kind ?? "analysis", phase, done, total, state.State.Error, state.State.UpdatedAt,
            phase == JobPhase.Succeeded ? Id : _progress.Note);
    }
}
