namespace MMInterp.Grains.Contracts;

/// <summary>A grain that counts reminder ticks: the platform's reminder smoke test.</summary>
public interface IReminderProbeGrain : IGrainWithStringKey
{
    /// <summary>Registers (or re-registers) the reminder; the first tick comes after one period.</summary>
    Task Start(TimeSpan period);
    Task Stop();
    Task<ReminderProbeReading> Read();
}
