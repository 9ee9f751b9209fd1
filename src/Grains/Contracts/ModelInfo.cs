namespace MMInterp.Grains.Contracts;

/// <summary>What a loaded model offers: its hook points and size, and the silo that holds it.</summary>
[GenerateSerializer, Immutable]
public sealed record ModelInfo(
    [property: Id(0)] string Id,
    [property: Id(1)] string Family,
    [property: Id(2)] IReadOnlyList<string> HookPoints,
    [property: Id(3)] long Parameters,
    [property: Id(4)] string Silo);
