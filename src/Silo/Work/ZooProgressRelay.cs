namespace MMInterp.Silo.Work;

/// <summary>
/// Passes a trainer's progress (a fraction and a note, on the training thread) to its build grain as steps of the
/// recipe, without making the trainer wait: a report is sent only when the previous one has been delivered, so a slow
/// grain call skips reports instead of queueing them, and a deactivating grain (which waits for the builder to stop)
/// can never deadlock with a report waiting for it.
/// </summary>
public sealed class ZooProgressRelay(Func<int, string, Task> report, int steps)
{
    readonly object _lock = new();
    Task _last = Task.CompletedTask;

    public void Report(double fraction, string note)
    {
        var step = (int)Math.Round(Math.Clamp(fraction, 0, 1) * steps);
        lock (_lock)
        {
            if (!_last.IsCompleted) return;
            _last = Send(step, note);
        }
    }

    async Task Send(int step, string note)
    {
        try { await report(step, note); }
        catch (Exception) { /* progress is informative; the grain may be deactivating */ }
    }
}
