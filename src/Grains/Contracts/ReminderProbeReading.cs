namespace MMInterp.Grains.Contracts;

/// <param name="Ticks">Reminder ticks recorded so far (persisted).</param>
/// <param name="LastTickSilo">The silo that handled the last tick, or empty before the first.</param>
[GenerateSerializer, Immutable]
public sealed record ReminderProbeReading([property: Id(0)] long Ticks, [property: Id(1)] string LastTickSilo);
