using MMInterp.Grains.Contracts.Experiments;

namespace MMInterp.Grains.Registry;

[GenerateSerializer, Immutable]
public sealed record FeatureRecord(string DictionaryId, int Index, string StatsJson, DateTimeOffset UpdatedAt);

[GenerateSerializer, Immutable]
public sealed record LabelRecord(
    string DictionaryId,
    int FeatureIndex,
    string Label,
    double Score,
    LabelMethod Method,
    string? ExperimentId,
    DateTimeOffset UpdatedAt);
