using System.Text.Json;
using System.Text.Json.Nodes;
using MMInterp.Kernels.IO;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Checkpoints;

/// <summary>
/// Writes weights as HF save_pretrained shards them: model-0000k-of-0000n.safetensors, filled in key order up to an
/// even share of the bytes, plus model.safetensors.index.json (metadata.total_size, weight_map). Tests and benchmarks
/// use it to make checkpoints in the published form.
/// </summary>
public static class HfShardedWriter
{
    public static IReadOnlyList<string> Write(string directory, IReadOnlyDictionary<string, Tensor> tensors, int shards) =>
        Write(directory, tensors, shards, "model", HfWeightFiles.IndexFile);

    /// <summary>Shards named <paramref name="stem"/>-0000k-of-0000n.safetensors with the index <paramref name="indexFile"/>
    /// (diffusers: diffusion_pytorch_model, diffusion_pytorch_model.safetensors.index.json).</summary>
    public static IReadOnlyList<string> Write(string directory, IReadOnlyDictionary<string, Tensor> tensors, int shards, string stem, string indexFile)
    {
        if (shards < 1 || shards > tensors.Count) throw new ArgumentOutOfRangeException(nameof(shards), $"need 1..{tensors.Count} shards, got {shards}");
        Directory.CreateDirectory(directory);
        var ordered = tensors.OrderBy(kv => kv.Key, StringComparer.Ordinal).ToList();
        long Bytes(Tensor t) => t.numel() * t.ElementSize;
        var total = ordered.Sum(kv => Bytes(kv.Value));
        var groups = new List<List<KeyValuePair<string, Tensor>>> { new() };
        long filled = 0;
        for (var i = 0; i < ordered.Count; i++)
        {
            var kv = ordered[i];
            // Start the next shard once this one has its share, keeping at least one tensor for each shard left.
            var remaining = ordered.Count - i;
            if (groups.Count < shards && groups[^1].Count > 0 && (filled >= total * groups.Count / shards || remaining <= shards - groups.Count))
                groups.Add([]);
            groups[^1].Add(kv);
            filled += Bytes(kv.Value);
        }
        var map = new JsonObject();
        var files = new List<string>();
        for (var i = 0; i < groups.Count; i++)
        {
            var name = $"{stem}-{i + 1:D5}-of-{groups.Count:D5}.safetensors";
            var path = Path.Combine(directory, name);
            SafeTensors.Save(path, groups[i].ToDictionary(kv => kv.Key, kv => kv.Value), new Dictionary<string, string> { ["format"] = "pt" });
            foreach (var kv in groups[i]) map[kv.Key] = name;
            files.Add(path);
        }
        var index = new JsonObject { ["metadata"] = new JsonObject { ["total_size"] = total }, ["weight_map"] = map };
        var indexPath = Path.Combine(directory, indexFile);
        File.WriteAllText(indexPath, index.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        files.Add(indexPath);
        return files;
    }
}
