namespace MMInterp.Grains.Lifecycle;

/// <summary>
/// Timing of the job grains. ResumeCheck is the reminder period that brings a job, run or sweep back after its silo
/// died; production keeps Orleans' one-minute floor, tests lower both (ReminderOptions.MinimumReminderPeriod too).
/// A transient failure (see <see cref="JobFailure"/>) is retried after RetryDelays[n-1] for its n-th failure (the last
/// delay repeats), until MaxAttempts failures in a row; then the job fails with the last reason.
/// </summary>
public sealed class JobOptions
{
    public TimeSpan ResumeCheck { get; set; } = TimeSpan.FromMinutes(1);

    public IReadOnlyList<TimeSpan> RetryDelays { get; set; } =
        [TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(2), TimeSpan.FromMinutes(10)];

    public int MaxAttempts { get; set; } = 5;

    /// <summary>The wait before the retry that follows the <paramref name="failures"/>-th transient failure in a row.</summary>
    public TimeSpan RetryDelay(int failures) =>
        RetryDelays.Count == 0 ? TimeSpan.Zero : RetryDelays[Math.Clamp(failures - 1, 0, RetryDelays.Count - 1)];
}
