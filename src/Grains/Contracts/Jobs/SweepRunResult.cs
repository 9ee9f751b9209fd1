namespace MMInterp.Grains.Contracts.Jobs;

[GenerateSerializer, Immutable]
public sealed record SweepRunResult(
    [property: Id(0)] string RunId,
    [property: Id(1)] string Label,
    [property: Id(2)] JobPhase Phase,
    [property: Id(3)] double L0,
    [property: Id(4)] double Fvu,
    [property: Id(5)] bool OnFront);
