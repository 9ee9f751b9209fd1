using MMInterp.Client.Cli;
using MMInterp.Grains.Contracts.Jobs;

namespace MMInterp.Client.Platform;

/// <summary>Follows a job, run or sweep with a progress bar until it finishes; a failure becomes the command's error.</summary>
public static class JobWatcher
{
    /// <param name="live">What the work is doing between the grain's reports (e.g. a training run's newest logged step
    /// and loss, FVU and L0: <see cref="LiveTraining"/>); null or a null answer shows the grain's own progress.</param>
    public static async Task<JobProgress> FollowAsync(string title, Func<Task<JobProgress>> status, CancellationToken ct,
        Func<JobProgress, Task<(double Fraction, string Note)?>>? live = null)
    {
        JobProgress? last = null;
        JobProgress final;
        try
        {
            final = await CliAction.WithProgress(title, async report =>
            {
                while (true)
                {
                    var p = last = await status();
                    // The live figures are informative: a registry hiccup shows the grain's progress instead.
                    (double Fraction, string Note)? now = null;
                    if (live is not null)
                        try { now = await live(p); }
                        catch (Exception e) when (e is not OperationCanceledException) { now = null; }
                    if (now is { } n) report(Math.Max(n.Fraction, p.Fraction), n.Note);
                    else report(p.Fraction, p.Note is { Length: > 0 } note ? $"{p.Done}/{p.Total} {note}" : $"{p.Done}/{p.Total}");
                    if (p.Finished) return p;
                    await Task.Delay(TimeSpan.FromMilliseconds(500), ct);
                }
            });
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested && last is not null)
        {
            // The work runs in the silo, not here: stopping to follow it does not stop it.
            Console.Error.WriteLine($"stopped following {last.Kind} {last.Id}; it goes on in the silo (`mminterp cancel {last.Id}` stops it)");
            throw;
        }
        return final.Phase switch
        {
            JobPhase.Succeeded => final,
            JobPhase.Cancelled => throw new OperationCanceledException($"{final.Kind} {final.Id} was cancelled"),
            _ => throw new InvalidOperationException($"{final.Kind} {final.Id} failed: {final.Error}"),
        };
    }
}
