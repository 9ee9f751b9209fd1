namespace MMInterp.Grains.Contracts;

/// <summary>What a loaded model offers: its hook points (with the shape each gives per image) and size, and the silo that holds it.
/// HookShapes: each hook's rows for one image, [tokens, width] (a diffusion key template at one noise level).</summary>
[GenerateSerializer, Immutable]
public sealed record ModelInfo(
    [property: Id(0)] string Id,
    [property: Id(1)] string Family,
    [property: Id(2)] IReadOnlyList<string> HookPoints,
    [property: Id(3)] long Parameters,
    [property: Id(4)] string Silo,
    [property: Id(5)] IReadOnlyDictionary<string, long[]>? HookShapes = null);

