using MMInterp.Grains.Contracts.Jobs;

namespace MMInterp.Grains.Lifecycle;

/// <summary>
/// How a job, run or experiment ends: persist the finished phase, record it in the registry, drop the resume
/// reminder. Every step is idempotent; if one fails the reminder stays and calls <see cref="SettleAsync"/> again, so a
/// registry row is never left 'running' behind a finished grain. While settling the grain still reports Running, so a
/// caller that sees the final phase can rely on the registry row.
/// </summary>
public sealed class JobSettlement<TState>(Grain grain, IPersistentState<TState> state, IRunRecorder recorder) where TState : IJobState
{
    bool _settling;

    /// <summary>The phase to report: Running until the finished phase is persisted and recorded.</summary>
    public JobPhase VisiblePhase => _settling ? JobPhase.Running : state.State.Phase;

    /// <summary>The resume reminder's tick: relaunch a running job whose work is not in flight (its silo died, or the
    /// launch failed), or finish the bookkeeping of a finished one that could not complete it (database down).</summary>
    public Task TickAsync(bool workInFlight, Func<Task> launch) => state.State.Phase switch
    {
        JobPhase.Running => workInFlight ? Task.CompletedTask : launch(),
        JobPhase.Pending => Task.CompletedTask,
        _ => SettleAsync(),
    };

    /// <summary>A finished job stays finished; otherwise the work is told to stop and the job is settled as Cancelled
    /// (so the registry row is marked cancelled too instead of staying 'running').</summary>
    public Task CancelAsync(Action stopWork)
    {
        if (state.State.Phase is JobPhase.Succeeded or JobPhase.Failed or JobPhase.Cancelled) return Task.CompletedTask;
        stopWork();
        return FinishAsync(JobPhase.Cancelled, null);
    }

    public Task FinishAsync(JobPhase phase, string? error)
    {
        state.State.Phase = phase;
        state.State.Error = error;
        state.State.UpdatedAt = DateTimeOffset.UtcNow;
        return SettleAsync();
    }

    public async Task SettleAsync()
    {
        _settling = true;
        await state.WriteStateAsync();
        await recorder.FinishedAsync(grain.GetPrimaryKeyString(), state.State.Phase, state.State.Error);
        _settling = false;
        await ResumeReminder.StopAsync(grain);
    }
}
