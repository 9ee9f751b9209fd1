using System.Diagnostics;
using MMInterp.Grains.Contracts.Jobs;
using Microsoft.Extensions.Logging;

namespace MMInterp.Grains.Lifecycle;

/// <summary>
/// The executor work of a run or experiment grain: it computes on a thread-pool thread (a grain orchestrates, it does
/// not compute), at most one at a time, and is settled back on the grain's scheduler. Its outcome is recorded before
/// success is reported, so a caller that sees Succeeded can read the results. A failure is classified once
/// (<see cref="JobRetry"/>): a permanent one fails the job with its reason; a transient one launches it again after a
/// backoff delay (a grain timer; while it waits the work counts as in flight, so the resume reminder leaves it be),
/// until the limit of attempts, then fails it with the last reason.
/// </summary>
/// <param name="noun">What the job is, for the log ("training run").</param>
/// <param name="relaunch">Launches the work again (the grain's launch: counts the launch, resumes from its checkpoint).</param>
/// <param name="failing">Called with the reason before a failure is settled (a pack fails its members).</param>
public sealed class ExecutorWork<TState>(
    Grain grain,
    IPersistentState<TState> state,
    JobSettlement<TState> end,
    JobOptions timing,
    ILogger log,
    string noun,
    Func<Task> relaunch,
    Func<string, Task>? failing = null) where TState : IJobState
{
    Task? _work;
    CancellationTokenSource? _cts;
    IGrainTimer? _retry;

    /// <summary>Working, or waiting to retry.</summary>
    public bool InFlight => _work is { IsCompleted: false } || _retry is not null;

    /// <summary>Starts <paramref name="compute"/> off the grain's scheduler; call from the grain, when not in flight.</summary>
    /// <param name="record">Records the outcome in the registry before the job is settled as Succeeded.</param>
    /// <param name="trace">Starts the activity that spans the work until it is settled.</param>
    public void Run<T>(Func<CancellationToken, Task<T>> compute, Func<T, Task> record, Func<Activity?> trace)
    {
        _cts = new CancellationTokenSource();
        var ct = _cts.Token;
        _work = Settle(Task.Run(() => compute(ct), ct), record, trace, ct);
    }

    /// <summary>Asks the work to stop (Cancel); the caller settles the job.</summary>
    public void Cancel()
    {
        StopRetry();
        _cts?.Cancel();
    }

    /// <summary>The work made progress (a checkpoint): transient failures before it no longer count towards the limit.
    /// Persisted with the caller's next state write.</summary>
    public void Progressed() => state.State.TransientFailures = 0;

    /// <summary>
    /// On deactivation: stops the work and waits until it has (the executor checks its token every step and in its
    /// callbacks). Otherwise the next activation could run the same job alongside it, and what the old one records after
    /// the new one's resume cleanup (a training run's metrics) would be doubled.
    /// </summary>
    public async Task StopAsync(CancellationToken ct)
    {
        StopRetry();
        _cts?.Cancel();
        if (_work is { IsCompleted: false } work)
        {
            try { await work.WaitAsync(ct); }
            catch (Exception) { /* its outcome no longer matters; the next activation runs the job again */ }
        }
    }

    async Task Settle<T>(Task<T> work, Func<T, Task> record, Func<Activity?> trace, CancellationToken stop)
    {
        using var activity = trace();
        try
        {
            var outcome = await work;
            if (state.State.Phase != JobPhase.Running) return;
            await record(outcome);
            await end.FinishAsync(JobPhase.Succeeded, null);
        }
        catch (Exception) when (state.State.Phase != JobPhase.Running)
        {
            // Cancelled: Cancel has settled the job already.
        }
        catch (Exception e) when (stop.IsCancellationRequested)
        {
            // Told to stop (its activation is going): however the work ended, the next activation resumes it; not a failure.
            log.LogInformation("{Noun} {Id} stopped with its activation ({Reason}); it resumes on the next", noun, grain.GetPrimaryKeyString(), JobFailure.Reason(e));
        }
        catch (Exception e)
        {
            await FailedAsync(e);
        }
    }

    async Task FailedAsync(Exception e)
    {
        if (state.State.Phase != JobPhase.Running) return;
        var id = grain.GetPrimaryKeyString();
        if (JobFailure.IsStaleState(e))
        {
            log.LogWarning("{Noun} {Id}: its stored state was changed elsewhere ({Reason}); this activation steps down and the next carries on",
                noun, id, JobFailure.Reason(e));
            grain.DeactivateOnIdle();
            return;
        }
        var decision = JobRetry.Decide(state.State, e, timing);
        try
        {
            if (!decision.Retry)
            {
                // One line, no stack: the reason is recorded with the job, and a stack per retry buries the log.
                log.LogWarning("{Noun} {Id} failed ({Kind}): {Reason}", noun, id, decision.Kind.ToString().ToLowerInvariant(), decision.Reason);
                if (failing is not null) await failing(decision.Reason);
                await end.FinishAsync(JobPhase.Failed, decision.Reason);
                return;
            }
            log.LogWarning("{Noun} {Id}: attempt failed ({Failures} of {Max}): {Reason}; retrying in {Delay}",
                noun, id, state.State.TransientFailures, timing.MaxAttempts, decision.Reason, decision.Delay);
            _retry = grain.RegisterGrainTimer(Retry, new GrainTimerCreationOptions(decision.Delay, Timeout.InfiniteTimeSpan) { KeepAlive = true });
            state.State.UpdatedAt = DateTimeOffset.UtcNow;
            await state.WriteStateAsync();
        }
        catch (Exception settling)
        {
            // Database down while failing or counting: the resume reminder settles the failed job or relaunches.
            log.LogWarning("{Noun} {Id}: could not record its failure ({Error}); the reminder will", noun, id, settling.Message);
        }
    }

    async Task Retry(CancellationToken ct)
    {
        StopRetry();
        if (state.State.Phase != JobPhase.Running) return;
        try
        {
            await relaunch();
        }
        catch (Exception e)
        {
            log.LogWarning("{Noun} {Id}: could not relaunch ({Error}); the reminder will retry", noun, grain.GetPrimaryKeyString(), e.Message);
        }
    }

    void StopRetry()
    {
        _retry?.Dispose();
        _retry = null;
    }
}
