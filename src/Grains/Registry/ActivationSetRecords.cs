using MMInterp.Grains.Contracts;
using MMInterp.Kernels.Artefacts;

namespace MMInterp.Grains.Registry;

/// <summary>
/// An extraction's output: activations of <paramref name="ModelId"/> at <paramref name="HookPoints"/> over a
/// dataset, in <paramref name="ShardCount"/> shards described by the index artefact <paramref name="IndexSha256"/>.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record NewActivationSet(
    string ModelId,
    IReadOnlyList<string> HookPoints,
    string DatasetSpecJson,
    int ShardCount,
    long RowCount,
    string IndexSha256,
    string? ExtractionRunId = null,
    string? Id = null,
    string ProjectId = RegistryIds.DefaultProject)
{
    public NewActivationSet Validated()
    {
        RegistryIds.Validate(ModelId, "model id");
        if (HookPoints is null || HookPoints.Count == 0) throw new ArgumentException("an activation set needs at least one hook point");
        if (HookPoints.Any(string.IsNullOrWhiteSpace)) throw new ArgumentException("activation set hook point names must not be empty");
        if (HookPoints.Distinct(StringComparer.Ordinal).Count() != HookPoints.Count) throw new ArgumentException("activation set lists a hook point twice");
        RegistryJson.ValidateObject(DatasetSpecJson, "dataset spec");
        if (ShardCount < 1) throw new ArgumentException($"shard count must be >= 1, got {ShardCount}");
        if (RowCount < 0) throw new ArgumentException($"row count must be >= 0, got {RowCount}");
        ArtefactHash.Validate(IndexSha256);
        RegistryIds.ValidateOptional(ExtractionRunId, "extraction run id");
        RegistryIds.ValidateOptional(Id, "activation set id");
        RegistryIds.Validate(ProjectId, "project id");
        return this;
    }
}

[GenerateSerializer, Immutable]
public sealed record ActivationSetRecord(
    string Id,
    string ProjectId,
    string ModelId,
    IReadOnlyList<string> HookPoints,
    string DatasetSpecJson,
    int ShardCount,
    long RowCount,
    string IndexSha256,
    string? ExtractionRunId,
    DateTimeOffset CreatedAt);
