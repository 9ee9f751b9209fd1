namespace MMInterp.Grains.Contracts.Dictionaries;

/// <summary>One feature of a dictionary: the norm of its decoder direction and the statistics (a JSON object) an
/// analysis recorded for it, or null when none has.</summary>
[GenerateSerializer, Immutable]
public sealed record DictionaryFeature(
    [property: Id(0)] int Index,
    [property: Id(1)] double DecoderNorm,
    [property: Id(2)] string? StatsJson);
