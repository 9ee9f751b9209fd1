namespace MMInterp.Grains.Lifecycle;

/// <summary>The reminder that brings a job, run or sweep back after its silo died; one name, one period.</summary>
public static class ResumeReminder
{
    public const string Name = "resume";

    public static Task StartAsync(Grain grain, JobOptions timing) =>
        grain.RegisterOrUpdateReminder(Name, timing.ResumeCheck, timing.ResumeCheck);

    public static async Task StopAsync(Grain grain)
    {
        var reminder = await grain.GetReminder(Name);
        if (reminder is not null) await grain.UnregisterReminder(reminder);
    }
}
