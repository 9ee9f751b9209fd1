namespace MMInterp.Grains.Contracts.Jobs;

/// <summary>A dataset named as world:split:count, e.g. shapes:train:4096. ShapesWorld splits map to seeds.</summary>
[GenerateSerializer, Immutable]
public sealed record DatasetSpec([property: Id(0)] string World, [property: Id(1)] string Split, [property: Id(2)] int Count)
{
    public static readonly IReadOnlyList<string> Splits = ["train", "val", "test"];

    public static DatasetSpec Parse(string text)
    {
        var parts = text.Split(':');
        if (parts.Length != 3)
            throw new ArgumentException($"dataset '{text}' must look like shapes:train:4096 (world:split:count)");
        if (parts[0] != "shapes")
            throw new ArgumentException($"dataset world '{parts[0]}' is unknown; the built-in world is 'shapes'");
        if (!Splits.Contains(parts[1]))
            throw new ArgumentException($"dataset split '{parts[1]}' must be one of {string.Join(", ", Splits)}");
        if (!int.TryParse(parts[2], out var n) || n < 1)
            throw new ArgumentException($"dataset count '{parts[2]}' must be a positive integer");
        return new DatasetSpec(parts[0], parts[1], n);
    }

    public override string ToString() => $"{World}:{Split}:{Count}";
}
