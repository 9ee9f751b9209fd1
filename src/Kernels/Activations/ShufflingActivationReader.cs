using static TorchSharp.torch;

namespace MMInterp.Kernels.Activations;

/// <summary>
/// Streams an activation set from disk in a shuffled order with bounded memory. Each epoch permutes the shard order
/// (seeded by seed and epoch), groups it into windows of <c>bufferShards</c> shards, and permutes the rows within each
/// window. Only one window is held in memory (at most bufferShards * shard_rows rows). The order is a pure function
/// of (seed, position), so Seek(position) reproduces the stream exactly (used by checkpoint resume).
/// </summary>
public sealed class ShufflingActivationReader : IActivationSource, IDisposable
{
    private readonly ActivationSetReader _reader;
    private readonly int _bufferShards;
    private readonly long _seed;
    private (long Epoch, int Window)? _loaded;
    private Tensor? _window, _perm;
    private long _windowStart; // epoch offset of the loaded window
    public int D => _reader.Index.D;
    public long Position { get; private set; }
    public long RowsPerEpoch { get; }
    /// <summary>Largest number of rows held at once so far (for checking the memory bound).</summary>
    public long MaxBufferedRows { get; private set; }
    /// <summary>Rows read from disk so far (whole shards, each time a window is loaded).</summary>
    public long RowsRead { get; private set; }

    public ShufflingActivationReader(ActivationSetReader reader, int bufferShards, long seed)
    {
        if (bufferShards <= 0) throw new ArgumentException($"bufferShards must be positive, got {bufferShards}", nameof(bufferShards));
        _reader = reader; _bufferShards = bufferShards; _seed = seed;
        RowsPerEpoch = reader.Index.TotalRows;
    }

    public void Seek(long position)
    {
        if (position < 0) throw new ArgumentException($"position must be >= 0, got {position}", nameof(position));
        Position = position;
    }

    private int[] ShardOrder(long epoch)
    {
        using var gen = new Generator((ulong)(_seed * 1_000_003 + epoch));
        using var p = randperm(_reader.Index.Shards.Count, generator: gen);
        return p.cpu().data<long>().Select(v => (int)v).ToArray();
    }

    private void Load(long epoch, long offset)
    {
        var order = ShardOrder(epoch);
        long start = 0;
        for (int w = 0; w * _bufferShards < order.Length; w++)
        {
            var shards = order.Skip(w * _bufferShards).Take(_bufferShards).ToArray();
            long rows = shards.Sum(i => _reader.Index.Shards[i].Rows);
            if (offset < start + rows)
            {
                if (_loaded == (epoch, w)) return;
                _window?.Dispose(); _perm?.Dispose();
                _window = null; _perm = null;
                using (var scope = NewDisposeScope())
                {
                    var parts = shards.Select(_reader.ReadShard).ToList();
                    _window = (parts.Count == 1 ? parts[0] : cat(parts, 0)).DetachFromDisposeScope();
                }
                using var gen = new Generator((ulong)(_seed * 1_000_003 + epoch) ^ (ulong)(w + 1) * 0x9E3779B97F4A7C15UL);
                _perm = randperm(rows, generator: gen).DetachFromDisposeScope();
                _loaded = (epoch, w);
                _windowStart = start;
                MaxBufferedRows = Math.Max(MaxBufferedRows, rows);
                RowsRead += rows;
                return;
            }
            start += rows;
        }
        throw new InvalidOperationException($"offset {offset} is past the end of the epoch ({RowsPerEpoch} rows)");
    }

    public Tensor NextBatch(int rows)
    {
        using var scope = NewDisposeScope();
        var parts = new List<Tensor>();
        int left = rows;
        while (left > 0)
        {
            long epoch = Position / RowsPerEpoch, offset = Position % RowsPerEpoch;
            Load(epoch, offset);
            long inWindow = offset - _windowStart;
            int take = (int)Math.Min(left, _window!.shape[0] - inWindow);
            parts.Add(_window.index_select(0, _perm!.narrow(0, inWindow, take)));
            Position += take;
            left -= take;
        }
        return (parts.Count == 1 ? parts[0] : cat(parts, 0)).MoveToOuterDisposeScope();
    }

    public void Dispose() { _window?.Dispose(); _perm?.Dispose(); }
}
