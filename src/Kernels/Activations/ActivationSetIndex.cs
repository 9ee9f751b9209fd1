using System.Text.Json;

namespace MMInterp.Kernels.Activations;

public sealed record ActivationShard(string Name, long Rows, string Sha256);

/// <summary>
/// index.json of an activation set: fixed-size shards (the last may be shorter) of float32 [rows, d] safetensors
/// files, each holding one tensor named "activations".
/// </summary>
public sealed record ActivationSetIndex
{
    public const string CurrentFormat = "mminterp.activations.v1";
    public const string FileName = "index.json";
    public const string TensorName = "activations";
    public string Format { get; init; } = CurrentFormat;
    public required string HookName { get; init; }
    public required int D { get; init; }
    public string DType { get; init; } = "float32";
    public required long ShardRows { get; init; }
    public required IReadOnlyList<ActivationShard> Shards { get; init; }
    /// <summary>Which tokens of each image the rows hold ("patch", "cls"); absent for all tokens, so indexes of all-token
    /// sets are byte for byte what they were before the option (and keep their hashes).</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public string? Tokens { get; init; }
    public long TotalRows => Shards.Sum(s => s.Rows);

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };
    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static ActivationSetIndex Load(string directory)
    {
        var path = Path.Combine(directory, FileName);
        if (!File.Exists(path)) throw new FileNotFoundException($"activation set '{directory}' has no {FileName}", path);
        ActivationSetIndex? index;
        try { index = JsonSerializer.Deserialize<ActivationSetIndex>(File.ReadAllText(path), Json); }
        catch (JsonException e) { throw new InvalidDataException($"'{path}': not a valid activation-set index: {IO.JsonFiles.Line(e.Message)}"); }
        if (index is null || index.Format != CurrentFormat) throw new InvalidDataException($"'{path}': unknown format {IO.JsonFiles.Quote(index?.Format)}");
        // null is valid JSON for a required member; the index is useless without them.
        if (index.Shards is null || index.HookName is null) throw new InvalidDataException($"'{path}': bad index (no shards or hook name)");
        if (index.D <= 0 || index.ShardRows <= 0 || index.Shards.Count == 0 || index.DType != "float32")
            throw new InvalidDataException($"'{path}': bad index (d={index.D}, shard_rows={index.ShardRows}, shards={index.Shards.Count}, dtype={index.DType})");
        foreach (var s in index.Shards)
        {
            // A shard is a file beside the index: a name with a path in it would read outside the set.
            if (s is null || string.IsNullOrEmpty(s.Name) || s.Name != Path.GetFileName(s.Name) || s.Name is "." or "..")
                throw new InvalidDataException($"'{path}': shard name '{s?.Name}' is not a file name in the set");
            if (s.Rows <= 0 || s.Rows > index.ShardRows)
                throw new InvalidDataException($"'{path}': shard '{s.Name}' has {s.Rows} rows (must be 1..{index.ShardRows})");
            if (s.Sha256 is not { Length: 64 } || !s.Sha256.All(char.IsAsciiHexDigit))
                throw new InvalidDataException($"'{path}': shard '{s.Name}' has no sha256");
        }
        return index;
    }
}
