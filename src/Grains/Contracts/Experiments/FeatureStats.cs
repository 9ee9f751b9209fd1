namespace MMInterp.Grains.Contracts.Experiments;

/// <summary>Statistics of one SAE feature (density, mean activation, top examples, ...) as a JSON object.</summary>
[GenerateSerializer, Immutable]
public sealed record FeatureStats(int Index, string StatsJson);
