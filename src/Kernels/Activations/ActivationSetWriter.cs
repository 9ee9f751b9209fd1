using System.Security.Cryptography;
using MMInterp.Kernels.IO;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Activations;

/// <summary>
/// Streams rows into fixed-size shards (shard-00000.safetensors, ...) and, on <see cref="Complete"/>, writes index.json
/// with each shard's row count and sha256. Every file is written atomically; non-finite rows are refused.
/// </summary>
public sealed class ActivationSetWriter : IDisposable
{
    private readonly string _dir;
    private readonly string _hook;
    private readonly int _d;
    private readonly long _shardRows;
    private readonly List<Tensor> _pending = [];
    private long _pendingRows;
    private readonly List<ActivationShard> _shards = [];
    private bool _completed;

    public ActivationSetWriter(string directory, string hookName, int d, long shardRows)
    {
        if (d <= 0) throw new ArgumentException($"d must be positive, got {d}", nameof(d));
        if (shardRows <= 0) throw new ArgumentException($"shardRows must be positive, got {shardRows}", nameof(shardRows));
        if (string.IsNullOrWhiteSpace(hookName)) throw new ArgumentException("hookName must be given", nameof(hookName));
        _dir = directory; _hook = hookName; _d = d; _shardRows = shardRows;
        Directory.CreateDirectory(directory);
    }

    public void Append(Tensor rows)
    {
        if (_completed) throw new InvalidOperationException("the activation set is already complete");
        if (rows.dim() != 2 || rows.shape[1] != _d) throw new ArgumentException($"rows must be [n, {_d}], got [{string.Join(",", rows.shape)}]", nameof(rows));
        var r = rows.detach().to_type(ScalarType.Float32).cpu().contiguous();
        if (!r.isfinite().all().item<bool>()) throw new ArgumentException("rows contain NaN or infinity", nameof(rows));
        _pending.Add(r.clone().DetachFromDisposeScope());
        _pendingRows += r.shape[0];
        while (_pendingRows >= _shardRows) Flush(_shardRows);
    }

    private void Flush(long n)
    {
        using var scope = NewDisposeScope();
        var all = _pending.Count == 1 ? _pending[0] : cat(_pending, 0);
        var shard = all.narrow(0, 0, n).contiguous();
        var rest = all.narrow(0, n, all.shape[0] - n).clone().DetachFromDisposeScope();
        foreach (var p in _pending) p.Dispose();
        _pending.Clear();
        if (rest.shape[0] > 0) _pending.Add(rest); else rest.Dispose();
        _pendingRows -= n;
        var name = $"shard-{_shards.Count:D5}.safetensors";
        var path = Path.Combine(_dir, name);
        SafeTensors.Save(path, new Dictionary<string, Tensor> { [ActivationSetIndex.TensorName] = shard }, new Dictionary<string, string> { ["hook"] = _hook });
        _shards.Add(new ActivationShard(name, n, Sha256Of(path)));
    }

    public static string Sha256Of(string path)
    {
        using var fs = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(fs));
    }

    /// <summary>Writes the last (possibly short) shard and index.json; returns the index.</summary>
    public ActivationSetIndex Complete()
    {
        if (_completed) throw new InvalidOperationException("the activation set is already complete");
        if (_pendingRows > 0) Flush(_pendingRows);
        if (_shards.Count == 0) throw new InvalidOperationException("no rows were written");
        var index = new ActivationSetIndex { HookName = _hook, D = _d, ShardRows = _shardRows, Shards = _shards.ToList() };
        AtomicFile.WriteAllText(Path.Combine(_dir, ActivationSetIndex.FileName), index.ToJson());
        _completed = true;
        return index;
    }

    public void Dispose()
    {
        foreach (var p in _pending) p.Dispose();
        _pending.Clear();
    }
}
