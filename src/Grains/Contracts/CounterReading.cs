namespace MMInterp.Grains.Contracts;

/// <param name="Value">The counter after the call.</param>
/// <param name="Silo">The silo that served the call.</param>
[GenerateSerializer, Immutable]
public sealed record CounterReading([property: Id(0)] long Value, [property: Id(1)] string Silo);
