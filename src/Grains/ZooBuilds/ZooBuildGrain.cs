using System.Text.Json;
using MMInterp.Grains.Contracts.Jobs;
using MMInterp.Grains.Contracts.ZooBuilds;
using MMInterp.Grains.Lifecycle;
using MMInterp.Grains.Placement;
using MMInterp.Grains.Telemetry;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace MMInterp.Grains.ZooBuilds;

/// <summary>
/// Orchestrates one zoo model build on an accelerator silo through the shared job lifecycle: the builder trains on a
/// thread-pool thread and reports its steps back through this grain's reference, which persists them (at most every
/// <see cref="PersistEvery"/>) and records them in the registry for `mminterp status`. Zoo trainers keep no
/// checkpoints, so after its silo dies the reminder re-activates the build elsewhere and it trains again from the
/// start; the recipes are deterministic, so the restarted build registers the same weights.
/// </summary>
[AcceleratorPlacement]
public sealed class ZooBuildGrain(
    [PersistentState("zoo-build", "jobs")] IPersistentState<ZooBuildState> state,
    IZooBuilder builder,
    DeviceSlots slots,
    IRunRecorder recorder,
    IOptions<JobOptions> timing,
    ILogger<ZooBuildGrain> log) : Grain, IZooBuildGrain, IRemindable
{
    /// <summary>Progress is informative: a state write per reported step would cost more than the step.</summary>
    static readonly TimeSpan PersistEvery = TimeSpan.FromSeconds(2);

    JobSettlement<ZooBuildState>? _end;
    JobSettlement<ZooBuildState> End => _end ??= new(this, state, recorder);
    ExecutorWork<ZooBuildState>? _work;
    // Failures are classified once (JobFailure): a bad recipe or a deterministic trainer failure fails; the rest
    // builds again after a backoff.
    ExecutorWork<ZooBuildState> Work => _work ??= new(this, state, End, timing.Value, log, "zoo build", relaunch: Launch);
    DateTimeOffset _persisted;

    string Id => this.GetPrimaryKeyString();

    public override async Task OnActivateAsync(CancellationToken ct)
    {
        if (state.State.Phase != JobPhase.Running) return;
        try { await Launch(); }
        catch (Exception e) { log.LogWarning("zoo build {Id}: could not launch on activation ({Error}); the reminder will retry", Id, e.Message); }
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken ct) => Work.StopAsync(ct);

    public async Task<JobProgress> Start(ZooBuildSpec spec)
    {
        spec.Validated();
        var modelId = spec.ModelId();
        if (!ZooBuildKeys.IsAttemptOf(Id, modelId))
            throw new ArgumentException($"zoo build '{Id}' cannot build recipe {modelId}: a build is keyed by its model id ({ZooBuildKeys.Key(modelId, 1)}, then {ZooBuildKeys.Key(modelId, 2)}, ...)");
        await new JobStart<ZooBuildState, ZooBuildSpec>(this, state, timing.Value, "zoo build").StartAsync(spec,
            // The registry row comes first: the model will name this build as its training run.
            record: () => recorder.StartedAsync(Id, "zoo", JsonSerializer.Serialize(spec), spec.Steps(), null),
            launch: Launch,
            // The device is where to train, not what to build.
            same: (a, b) => a.Family == b.Family && a.ModelId() == b.ModelId());
        return Status(End.VisiblePhase);
    }

    public Task<JobProgress> Status() => Task.FromResult(Status(End.VisiblePhase));

    public Task<ZooBuildStatus> Progress()
    {
        var s = state.State;
        return Task.FromResult(new ZooBuildStatus(Id, End.VisiblePhase, s.Step, s.Total, s.Stage, s.ModelId, s.Cached, s.LastSilo, s.Starts, s.Error));
    }

    public Task Cancel() => End.CancelAsync(Work.Cancel);

    public async Task ReportProgress(int step, string stage)
    {
        // A late report from a stopped builder (or one after the end) must not move a finished build.
        if (state.State.Phase != JobPhase.Running || !Work.InFlight) return;
        state.State.Step = Math.Clamp(step, 0, state.State.Total);
        state.State.Stage = stage;
        state.State.UpdatedAt = DateTimeOffset.UtcNow;
        if (state.State.UpdatedAt - _persisted < PersistEvery) return;
        _persisted = state.State.UpdatedAt;
        try
        {
            await state.WriteStateAsync();
            await recorder.ProgressAsync(Id, state.State.Step, state.State.Total == 0 ? 0 : (double)state.State.Step / state.State.Total, state.State.Stage);
        }
        catch (Exception e)
        {
            // Progress is informative; the build goes on, and the next report tries again.
            log.LogWarning("zoo build {Id}: could not persist progress: {Error}", Id, e.Message);
        }
    }

    public Task ReceiveReminder(string reminderName, TickStatus status) => End.TickAsync(Work.InFlight, Launch);

    async Task Launch()
    {
        if (Work.InFlight) return;
        var spec = state.State.Spec!;
        var launch = state.State.Starts + 1;
        state.State.Step = 0;
        state.State.Total = spec.Steps();
        state.State.Stage = launch == 1 ? "starting" : $"restarting (launch {launch})";
        await LaunchCount.RecordAsync(state, RuntimeIdentity);
        DelayDeactivation(TimeSpan.FromDays(1));
        var self = this.AsReference<IZooBuildGrain>();
        var id = Id;
        // The build holds a device slot of this silo while it trains, as training runs and experiments do.
        Work.Run(async ct =>
            {
                using var lease = slots.Lease();
                return await builder.BuildAsync(id, spec, self.ReportProgress, lease.Slot, ct);
            },
            record: outcome =>
            {
                // Persisted by the settlement that follows.
                state.State.ModelId = outcome.ModelId;
                state.State.Cached = outcome.Cached;
                state.State.Step = state.State.Total;
                state.State.Stage = outcome.Cached ? "registered before" : "registered";
                return Task.CompletedTask;
            },
            trace: () => PlatformTelemetry.Source.StartActivity("zoo.build")?.SetTag("mminterp.zoo_build", id).SetTag("mminterp.zoo_family", spec.Family));
    }

    JobProgress Status(JobPhase phase) => new(Id, "zoo", phase, state.State.Step, state.State.Total, state.State.Error, state.State.UpdatedAt)
    {
        ModelId = phase == JobPhase.Succeeded ? state.State.ModelId : null,
        Note = state.State.Stage,
    };
}
