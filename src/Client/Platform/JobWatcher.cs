using MMInterp.Client.Cli;
using MMInterp.Grains.Contracts.Jobs;

namespace MMInterp.Client.Platform;

/// <summary>
/// Follows a job, run or sweep with a progress bar until it finishes; a failure becomes the command's error. The bar
/// reads only the grain's status, which carries a training's step and live loss, FVU and L0 (updated every step) and
/// an analysis' stage (<see cref="ProgressLine"/>).
/// </summary>
public static class JobWatcher
{
    public static async Task<JobProgress> FollowAsync(string title, Func<Task<JobProgress>> status, CancellationToken ct)
    {
        JobProgress? last = null;
        JobProgress final;
        try
        {
            final = await CliAction.WithProgress(title, async report =>
            {
                while (true)
                {
                    JobProgress p;
                    try { p = last = await status(); }
                    catch (TimeoutException) when (!ct.IsCancellationRequested)
                    {
                        // A silo too busy to answer within Orleans' response timeout has not failed the work: ask again.
                        if (last is not null) report(last.Fraction, ProgressLine.Of(last) + " (the silo is slow to answer)");
                        continue;
                    }
                    report(p.Fraction, ProgressLine.Of(p));
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
