namespace MMInterp.Grains.Contracts;

/// <summary>
/// A persistent counter: the platform's storage smoke test (`cluster check`, integration tests).
/// Its value lives in the default grain storage, so it survives silo restarts.
/// </summary>
public interface ICounterGrain : IGrainWithStringKey
{
    Task<CounterReading> Add(long delta);
    Task<CounterReading> Read();
}

/// <param name="Value">The counter after the call.</param>
/// <param name="Silo">The silo that served the call.</param>
[GenerateSerializer, Immutable]
public sealed record CounterReading([property: Id(0)] long Value, [property: Id(1)] string Silo);

/// <summary>A grain that counts reminder ticks: the platform's reminder smoke test.</summary>
public interface IReminderProbeGrain : IGrainWithStringKey
{
    /// <summary>Registers (or re-registers) the reminder; the first tick comes after one period.</summary>
    Task Start(TimeSpan period);
    Task Stop();
    Task<ReminderProbeReading> Read();
}

/// <param name="Ticks">Reminder ticks recorded so far (persisted).</param>
/// <param name="LastTickSilo">The silo that handled the last tick, or empty before the first.</param>
[GenerateSerializer, Immutable]
public sealed record ReminderProbeReading([property: Id(0)] long Ticks, [property: Id(1)] string LastTickSilo);
