using MMInterp.Client.Cli;
using MMInterp.Grains.Contracts.Jobs;

namespace MMInterp.Client.Platform;

/// <summary>Follows a job, run or sweep with a progress bar until it finishes; a failure becomes the command's error.</summary>
public static class JobWatcher
{
    public static async Task<JobProgress> FollowAsync(string title, Func<Task<JobProgress>> status, CancellationToken ct)
    {
        var final = await CliAction.WithProgress(title, async report =>
        {
            while (true)
            {
                var p = await status();
                report(p.Fraction, $"{p.Done}/{p.Total}");
                if (p.Finished) return p;
                await Task.Delay(TimeSpan.FromMilliseconds(500), ct);
            }
        });
        return final.Phase switch
        {
            JobPhase.Succeeded => final,
            JobPhase.Cancelled => throw new OperationCanceledException($"{final.Kind} {final.Id} was cancelled"),
            _ => throw new InvalidOperationException($"{final.Kind} {final.Id} failed: {final.Error}"),
        };
    }
}
