namespace MMInterp.Grains.Contracts.Dictionaries;

/// <summary>A loaded dictionary: what it reads and how wide it is, the silo that holds it and when that silo loaded it
/// (the same time on every call while it stays loaded).</summary>
[GenerateSerializer, Immutable]
public sealed record DictionaryInfo(
    [property: Id(0)] string Id,
    [property: Id(1)] string ModelId,
    [property: Id(2)] string HookPoint,
    [property: Id(3)] string Kind,
    [property: Id(4)] int DIn,
    [property: Id(5)] int DSae,
    [property: Id(6)] string Silo,
    [property: Id(7)] DateTimeOffset LoadedAt);
