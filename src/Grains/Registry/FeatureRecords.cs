using MMInterp.Grains.Contracts.Experiments;

namespace MMInterp.Grains.Registry;

[GenerateSerializer, Immutable]
public sealed record FeatureRecord(string DictionaryId, int Index, string StatsJson, DateTimeOffset UpdatedAt);

/// <summary>A feature's label. <see cref="CreatedBy"/>/<see cref="UpdatedBy"/> name the people behind manual labels (null for
/// labels an analysis wrote).</summary>
[GenerateSerializer, Immutable]
public sealed record LabelRecord(
    string DictionaryId,
    int FeatureIndex,
    string Label,
    double Score,
    LabelMethod Method,
    string? ExperimentId,
    DateTimeOffset UpdatedAt,
    long Id = 0,
    string? CreatedBy = null,
    string? UpdatedBy = null,
    DateTimeOffset? CreatedAt = null);

/// <summary>One add, edit or delete of a manual label: who, when, and the text and score before and after.</summary>
[GenerateSerializer, Immutable]
public sealed record LabelHistoryRecord(
    long LabelId,
    string DictionaryId,
    int FeatureIndex,
    string Action,
    string? OldLabel,
    string? NewLabel,
    double? OldScore,
    double? NewScore,
    string Author,
    DateTimeOffset At);
