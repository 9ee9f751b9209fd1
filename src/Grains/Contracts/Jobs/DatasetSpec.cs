namespace MMInterp.Grains.Contracts.Jobs;

/// <summary>
/// A dataset named as world:split:count, e.g. shapes:train:4096 (ShapesWorld splits map to seeds), or a registered
/// user dataset (<see cref="DatasetId"/> set, World "dataset"): dataset-ID:split:count, split one of train, val, test
/// (deterministic by each item's key) or all, the first count items of that split.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record DatasetSpec([property: Id(0)] string World, [property: Id(1)] string Split, [property: Id(2)] int Count,
    [property: Id(3)] string? DatasetId = null)
{
    public static readonly IReadOnlyList<string> Splits = ["train", "val", "test"];
    /// <summary>Splits of a registered dataset: ShapesWorld's, and the whole dataset.</summary>
    public static readonly IReadOnlyList<string> RegisteredSplits = ["train", "val", "test", "all"];
    public const string RegisteredWorld = "dataset";
    public const string IdPrefix = "dataset-";

    public bool IsRegistered => DatasetId is not null;

    public static DatasetSpec Registered(string datasetId, string split, int count)
    {
        if (!datasetId.StartsWith(IdPrefix, StringComparison.Ordinal)) throw new ArgumentException($"dataset id '{datasetId}' must start with '{IdPrefix}'");
        if (!RegisteredSplits.Contains(split)) throw new ArgumentException($"dataset split '{split}' must be one of {string.Join(", ", RegisteredSplits)}");
        if (count < 1) throw new ArgumentException($"dataset count must be positive, got {count}");
        return new DatasetSpec(RegisteredWorld, split, count, datasetId);
    }

    public static DatasetSpec Parse(string text)
    {
        var parts = text.Split(':');
        if (parts.Length != 3)
            throw new ArgumentException($"dataset '{text}' must look like shapes:train:4096 (world:split:count) or dataset-ID:split:count");
        if (!int.TryParse(parts[2], out var n) || n < 1)
            throw new ArgumentException($"dataset count '{parts[2]}' must be a positive integer");
        if (parts[0].StartsWith(IdPrefix, StringComparison.Ordinal)) return Registered(parts[0], parts[1], n);
        if (parts[0] != "shapes")
            throw new ArgumentException($"dataset world '{parts[0]}' is unknown; the built-in world is 'shapes', registered datasets are dataset-ID");
        if (!Splits.Contains(parts[1]))
            throw new ArgumentException($"dataset split '{parts[1]}' must be one of {string.Join(", ", Splits)}");
        return new DatasetSpec(parts[0], parts[1], n);
    }

    public override string ToString() => $"{DatasetId ?? World}:{Split}:{Count}";
}
