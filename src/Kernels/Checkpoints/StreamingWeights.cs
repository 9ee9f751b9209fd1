using MMInterp.Kernels.IO;
using MMInterp.Kernels.Tensors;
using TorchSharp;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Checkpoints;

/// <summary>
/// Fills a constructed model's parameters from safetensors files one tensor at a time: float32 data is read straight
/// into the parameter's memory, other dtypes through one temporary of the stored size. So loading holds the model
/// plus at most one tensor, never a second copy of the weights. Parameters on an accelerator are filled from a host
/// temporary of one tensor.
/// </summary>
public static class StreamingWeights
{
    // Reads go through this much at a time: a span over native memory is int-sized, and big reads gain nothing.
    const int ChunkBytes = 16 << 20;

    /// <summary>Checks every key, shape and dtype class from the headers first (nothing is read before), then copies,
    /// checking each tensor is finite as it lands.</summary>
    /// <param name="source">names the checkpoint in errors (a file, or the directory of a sharded one)</param>
    /// <param name="ignored">stored keys that are not parameters (by their stored name)</param>
    /// <param name="rename">the parameter a stored key fills, when the file's layout names it differently (a newer HF
    /// LLaVA layout); null: the same name</param>
    public static void Load(nn.Module model, IReadOnlyList<WeightShard> shards, string source, Func<string, bool>? ignored = null,
        Func<string, string>? rename = null)
    {
        var parameters = model.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        var entries = shards.SelectMany(s => s.Header.Entries.Values.Select(e => (Shard: s, Entry: e, Name: rename?.Invoke(e.Name) ?? e.Name)))
            .Where(x => ignored is null || !ignored(x.Entry.Name)).ToList();
        CheckKeys(parameters.ToDictionary(kv => kv.Key, kv => kv.Value.shape), entries.Select(x => (x.Name, x.Entry.Shape)), source);
        foreach (var (shard, e, name) in entries) WeightChecks.RequireClass(shard.Path, e.Name, e.DType, parameters[name]);
        using var _ = no_grad();
        foreach (var group in entries.GroupBy(x => x.Shard))
        {
            using var stream = new FileStream(group.Key.Path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
            foreach (var (shard, e, name) in group.OrderBy(x => x.Entry.Begin))
            {
                Read(stream, shard, e, parameters[name]);
                WeightChecks.RequireFinite(shard.Path, e.Name, parameters[name]);
            }
        }
    }

    /// <summary>Missing, unexpected and mis-shaped keys, named in one line.</summary>
    public static void CheckKeys(IReadOnlyDictionary<string, long[]> expected, IEnumerable<(string Name, long[] Shape)> found, string source)
    {
        var seen = new Dictionary<string, long[]>(StringComparer.Ordinal);
        foreach (var (name, shape) in found)
            if (!seen.TryAdd(name, shape)) throw new InvalidDataException($"{source}: key '{name}' is stored twice");
        var missing = expected.Keys.Where(k => !seen.ContainsKey(k)).ToList();
        if (missing.Count > 0)
            throw new InvalidDataException($"{source}: missing {missing.Count} key(s): {List(missing)}");
        var unexpected = seen.Keys.Where(k => !expected.ContainsKey(k)).ToList();
        if (unexpected.Count > 0)
            throw new InvalidDataException($"{source}: unexpected key(s) not in the model: {List(unexpected)}");
        foreach (var (name, shape) in seen)
            if (!shape.SequenceEqual(expected[name]))
                throw new InvalidDataException($"{source}: key '{name}' has shape [{string.Join(",", shape)}] but the model expects [{string.Join(",", expected[name])}]");
    }

    static string List(List<string> keys) => $"{string.Join(", ", keys.Take(5))}{(keys.Count > 5 ? ", ..." : "")}";

    static void Read(FileStream stream, WeightShard shard, SafeTensorsEntry e, Tensor target)
    {
        stream.Seek(shard.Header.DataStart + e.Begin, SeekOrigin.Begin);
        var bytes = e.End - e.Begin;
        if (bytes == 0) return;
        // Straight into the parameter's memory only on the CPU; a parameter on another device is filled by copy_.
        // So do half-precision tensors into parameters kept in the same dtype (a bf16 decoder loads without a temporary).
        if ((e.DType == "F32" && FastPaths.Apply(target)) || SameHalfDType(e.DType, target))
        {
            ReadInto(stream, NativeTensor.Pointer(target), bytes, shard.Path, e.Name);
            return;
        }
        using var scope = NewDisposeScope();
        var raw = empty(e.Shape, SafeTensorsDTypes.StoredAs(e.DType));
        ReadInto(stream, NativeTensor.Pointer(raw), bytes, shard.Path, e.Name);
        // copy_ converts float dtypes itself; going through a widened float32 copy would double the temporary.
        target.copy_(e.DType is "F16" or "BF16" or "F64" ? raw : SafeTensorsDTypes.Widen(e.DType, raw));
    }

    static bool SameHalfDType(string dtype, Tensor target) =>
        FastPaths.Enabled && dtype is "F16" or "BF16" && target.dtype == SafeTensorsDTypes.StoredAs(dtype) && target.device_type == DeviceType.CPU && target.is_contiguous();

    static unsafe void ReadInto(Stream stream, IntPtr destination, long bytes, string path, string name)
    {
        var p = (byte*)destination;
        for (long done = 0; done < bytes;)
        {
            var span = new Span<byte>(p + done, (int)Math.Min(ChunkBytes, bytes - done));
            if (stream.ReadAtLeast(span, span.Length, throwOnEndOfStream: false) != span.Length)
                throw new InvalidDataException($"{path}: tensor '{name}' is cut short (truncated while being read?)");
            done += span.Length;
        }
    }
}
