namespace MMInterp.Grains.Lifecycle;

/// <summary>
/// Timing of the job grains. ResumeCheck is the reminder period that brings a job, run or sweep back after its silo
/// died; production keeps Orleans' one-minute floor, tests lower both (ReminderOptions.MinimumReminderPeriod too).
/// </summary>
public sealed class JobOptions
{
    public TimeSpan ResumeCheck { get; set; } = TimeSpan.FromMinutes(1);
}
