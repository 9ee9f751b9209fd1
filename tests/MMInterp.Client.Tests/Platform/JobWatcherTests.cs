using MMInterp.Client.Platform;
using MMInterp.Grains.Contracts.Jobs;
using Xunit;

namespace MMInterp.Client.Tests.Platform;

/// <summary>Following a run: a status call that times out (a silo too busy to answer in time) is asked again, not
/// reported as the run's failure; a failed run is still the command's error.</summary>
public sealed class JobWatcherTests
{
    static JobProgress Status(JobPhase phase, string? error = null) => new("x", "analysis", phase, 1, 1, error, DateTimeOffset.UtcNow);

    [Fact]
    public async Task AStatusTimeoutIsAskedAgain()
    {
        var calls = 0;
        var final = await JobWatcher.FollowAsync("t", () => ++calls <= 2
            ? throw new TimeoutException("Response did not arrive on time in 00:00:30")
            : Task.FromResult(Status(JobPhase.Succeeded)), default);
        Assert.Equal((3, JobPhase.Succeeded), (calls, final.Phase));
    }

    [Fact]
    public async Task AFailedRunIsStillTheError()
    {
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => JobWatcher.FollowAsync("t", () => Task.FromResult(Status(JobPhase.Failed, "bad"))!, default));
        Assert.Contains("failed: bad", e.Message);
    }
}
