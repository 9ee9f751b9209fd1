using MMInterp.Grains.Contracts.Jobs;

namespace MMInterp.Tests;

/// <summary>
/// Polls a job, run or experiment until it finishes or the deadline passes (then returns the last status). Linked into
/// each test project that waits on job grains.
/// </summary>
public static class JobWait
{
    public static async Task<JobProgress> UntilFinished(Func<Task<JobProgress>> status, double minutes = 8)
    {
        var deadline = DateTime.UtcNow.AddMinutes(minutes);
        while (true)
        {
            var p = await status();
            if (p.Finished || DateTime.UtcNow > deadline) return p;
            await Task.Delay(250);
        }
    }
}
