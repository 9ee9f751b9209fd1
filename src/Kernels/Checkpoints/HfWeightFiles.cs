using System.Text.Json;
using System.Text.Json.Nodes;
using MMInterp.Kernels.IO;

namespace MMInterp.Kernels.Checkpoints;

/// <summary>One safetensors file of a checkpoint with its parsed header.</summary>
public sealed record WeightShard(string Path, SafeTensorsHeader Header);

/// <summary>
/// The weights of an HF directory as save_pretrained writes them: model.safetensors, or shards
/// model-0000k-of-0000n.safetensors listed by model.safetensors.index.json (weight_map: key -> shard file).
/// Only headers are read. Every key is in exactly one shard, and each shard holds exactly the keys the index gives it.
/// </summary>
public sealed record HfWeightFiles(IReadOnlyList<WeightShard> Shards, string? IndexPath)
{
    public const string SingleFile = "model.safetensors";
    public const string IndexFile = "model.safetensors.index.json";

    /// <summary>Every tensor entry with the shard it is in.</summary>
    public IEnumerable<(WeightShard Shard, SafeTensorsEntry Entry)> Entries =>
        Shards.SelectMany(s => s.Header.Entries.Values.Select(e => (s, e)));

    /// <summary>Sum of the tensors' stored bytes (what the weights take on disk, headers aside).</summary>
    public long DataBytes => Entries.Sum(x => x.Entry.End - x.Entry.Begin);

    public static HfWeightFiles Open(string directory) => Open(directory, SingleFile, IndexFile);

    /// <summary>The same under other file names (diffusers: diffusion_pytorch_model[.fp16].safetensors[.index.json]).</summary>
    public static HfWeightFiles Open(string directory, string singleFile, string indexFile) => Open(directory, singleFile, indexFile, OtherFormats);

    /// <summary>Files that hold weights this reader cannot read, named in the error.</summary>
    static readonly string[] OtherFormats = ["pytorch_model.bin", "pytorch_model.bin.index.json", "tf_model.h5", "flax_model.msgpack",
        "diffusion_pytorch_model.bin", "diffusion_pytorch_model.fp16.bin", "diffusion_flax_model.msgpack"];

    /// <summary>The same layout under other file names; <paramref name="otherFormats"/> are files that hold weights this
    /// reader cannot read, named in the error.</summary>
    public static HfWeightFiles Open(string directory, string singleFile, string indexFile, IReadOnlyList<string> otherFormats)
    {
        var single = Path.Combine(directory, singleFile);
        // As HF's from_pretrained does: the single file wins when both are present.
        if (File.Exists(single)) return new HfWeightFiles([new WeightShard(single, SafeTensors.ReadHeader(single))], null);
        var index = Path.Combine(directory, indexFile);
        if (File.Exists(index)) return FromIndex(directory, index);
        var other = otherFormats.FirstOrDefault(f => File.Exists(Path.Combine(directory, f)));
        throw new FileNotFoundException(other is null
            ? $"{directory}: no {singleFile} and no {indexFile} (no weights)"
            : $"{directory}: weights only as {other}; only safetensors is read (convert with HF's save_pretrained(safe_serialization=True))",
            single);
    }

    static HfWeightFiles FromIndex(string directory, string index)
    {
        var indexName = Path.GetFileName(index);
        var map = JsonFiles.ReadObject(index)["weight_map"] as JsonObject ?? throw new InvalidDataException($"{index}: no weight_map object");
        if (map.Count == 0) throw new InvalidDataException($"{index}: weight_map is empty");
        var byShard = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        foreach (var (key, node) in map)
        {
            var file = node is JsonValue v && v.TryGetValue<string>(out var s) ? s
                : throw new InvalidDataException($"{index}: weight_map['{key}'] is not a file name");
            // Shards sit beside the index; a path elsewhere would read (and store) files outside the directory.
            if (file.Length == 0 || file != Path.GetFileName(file) || file is "." or "..")
                throw new InvalidDataException($"{index}: weight_map['{key}'] = '{file}' is not a file name in this directory");
            if (!byShard.TryGetValue(file, out var keys)) byShard[file] = keys = new HashSet<string>(StringComparer.Ordinal);
            keys.Add(key);
        }
        var shards = new List<WeightShard>();
        foreach (var (file, keys) in byShard.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            var path = Path.Combine(directory, file);
            if (!File.Exists(path)) throw new FileNotFoundException($"{index}: shard {file} is listed but missing ({keys.Count} key(s), e.g. '{keys.First()}')", path);
            var header = SafeTensors.ReadHeader(path);
            if (keys.FirstOrDefault(k => !header.Entries.ContainsKey(k)) is { } absent)
                throw new InvalidDataException($"{index}: '{absent}' is mapped to {file}, which does not hold it");
            if (header.Entries.Keys.FirstOrDefault(k => !keys.Contains(k)) is { } stray)
                throw new InvalidDataException($"{path}: holds '{stray}', which {indexName} maps {(map[stray] is { } f ? $"to {f}" : "nowhere")}");
            shards.Add(new WeightShard(path, header));
        }
        return new HfWeightFiles(shards, index);
    }
}
