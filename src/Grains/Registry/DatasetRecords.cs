using MMInterp.Grains.Contracts;

namespace MMInterp.Grains.Registry;

/// <summary>A user image dataset to register (see infra/sql/0113_datasets.sql).</summary>
[GenerateSerializer, Immutable]
public sealed record NewDataset(
    string Id,
    string Name,
    string Kind,
    string Source,
    string ContentSha256,
    int ItemCount,
    long ByteCount,
    IReadOnlyList<string> LabelNames,
    string ProjectId = RegistryIds.DefaultProject)
{
    public static readonly IReadOnlyList<string> Kinds = ["images", "imagefolder", "jsonl", "csv", "parquet"];

    public NewDataset Validated()
    {
        RegistryIds.Validate(Id, "dataset id");
        if (string.IsNullOrWhiteSpace(Name)) throw new ArgumentException("dataset name is empty");
        if (!Kinds.Contains(Kind)) throw new ArgumentException($"dataset kind '{Kind}' must be one of {string.Join(", ", Kinds)}");
        Kernels.Artefacts.ArtefactHash.Validate(ContentSha256);
        if (ItemCount < 1) throw new ArgumentException($"dataset item count must be positive, got {ItemCount}");
        if (ByteCount < 0) throw new ArgumentException("dataset byte count is negative");
        RegistryIds.Validate(ProjectId, "project id");
        return this;
    }
}

[GenerateSerializer, Immutable]
public sealed record DatasetRecord(
    [property: Id(0)] string Id,
    [property: Id(1)] string ProjectId,
    [property: Id(2)] string Name,
    [property: Id(3)] string Kind,
    [property: Id(4)] string Source,
    [property: Id(5)] string ContentSha256,
    [property: Id(6)] int ItemCount,
    [property: Id(7)] long ByteCount,
    [property: Id(8)] IReadOnlyList<string> LabelNames,
    [property: Id(9)] DateTimeOffset CreatedAt);
