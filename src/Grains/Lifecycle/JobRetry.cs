namespace MMInterp.Grains.Lifecycle;

/// <summary>What to do after a job's work failed: fail it now with the reason, or try again after a delay.</summary>
public sealed record RetryDecision(bool Retry, TimeSpan Delay, string Reason, FailureKind Kind);

/// <summary>The retry policy of every job grain, from <see cref="JobFailure"/>'s classification: a permanent failure
/// ends the job; a transient one is retried with backoff until <see cref="JobOptions.MaxAttempts"/> in a row.</summary>
public static class JobRetry
{
    /// <summary>Counts a transient failure in <paramref name="state"/> (the caller persists it) and decides.</summary>
    public static RetryDecision Decide(IJobState state, Exception e, JobOptions timing)
    {
        var reason = JobFailure.Reason(e);
        if (JobFailure.Classify(e) == FailureKind.Permanent) return new(false, TimeSpan.Zero, reason, FailureKind.Permanent);
        var failures = ++state.TransientFailures;
        return failures >= timing.MaxAttempts
            ? new(false, TimeSpan.Zero, $"gave up after {failures} failed attempts; last error: {reason}", FailureKind.Transient)
            : new(true, timing.RetryDelay(failures), reason, FailureKind.Transient);
    }
}
