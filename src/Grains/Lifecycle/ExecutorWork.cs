using System.Diagnostics;
using MMInterp.Grains.Contracts.Jobs;

namespace MMInterp.Grains.Lifecycle;

/// <summary>
/// The executor work of a run or experiment grain: it computes on a thread-pool thread (a grain orchestrates, it does
/// not compute), at most one at a time, and is settled back on the grain's scheduler. Its outcome is recorded before
/// success is reported, so a caller that sees Succeeded can read the results; a permanent failure fails the job; any
/// other failure leaves it Running for the resume reminder to launch again.
/// </summary>
/// <param name="permanent">Failures that running again would repeat (a bad spec, bad data).</param>
/// <param name="stopped">Logs a failure the reminder will retry.</param>
public sealed class ExecutorWork<TState>(
    IPersistentState<TState> state,
    JobSettlement<TState> end,
    Func<Exception, bool> permanent,
    Action<Exception> stopped) where TState : IJobState
{
    Task? _work;
    CancellationTokenSource? _cts;

    public bool InFlight => _work is { IsCompleted: false };

    /// <summary>Starts <paramref name="compute"/> off the grain's scheduler; call from the grain, when not in flight.</summary>
    /// <param name="record">Records the outcome in the registry before the job is settled as Succeeded.</param>
    /// <param name="trace">Starts the activity that spans the work until it is settled.</param>
    public void Run<T>(Func<CancellationToken, Task<T>> compute, Func<T, Task> record, Func<Activity?> trace)
    {
        _cts = new CancellationTokenSource();
        var ct = _cts.Token;
        _work = Settle(Task.Run(() => compute(ct), ct), record, trace);
    }

    /// <summary>Asks the work to stop (Cancel); the caller settles the job.</summary>
    public void Cancel() => _cts?.Cancel();

    /// <summary>
    /// On deactivation: stops the work and waits until it has (the executor checks its token every step and in its
    /// callbacks). Otherwise the next activation could run the same job alongside it, and what the old one records after
    /// the new one's resume cleanup (a training run's metrics) would be doubled.
    /// </summary>
    public async Task StopAsync(CancellationToken ct)
    {
        _cts?.Cancel();
        if (_work is { IsCompleted: false } work)
        {
            try { await work.WaitAsync(ct); }
            catch (Exception) { /* its outcome no longer matters; the next activation runs the job again */ }
        }
    }

    async Task Settle<T>(Task<T> work, Func<T, Task> record, Func<Activity?> trace)
    {
        using var activity = trace();
        try
        {
            var outcome = await work;
            if (state.State.Phase != JobPhase.Running) return;
            await record(outcome);
            await end.FinishAsync(JobPhase.Succeeded, null);
        }
        catch (OperationCanceledException) when (state.State.Phase != JobPhase.Running)
        {
            // Cancelled: Cancel has settled the job already.
        }
        catch (Exception e) when (permanent(e))
        {
            await end.FinishAsync(JobPhase.Failed, e.Message);
        }
        catch (Exception e)
        {
            stopped(e);
        }
    }
}
