using static TorchSharp.torch;

namespace MMInterp.Kernels.Activations;

/// <summary>Rows of one in-memory [N, d] tensor, reshuffled each epoch by a permutation seeded by (seed, epoch).</summary>
public sealed class InMemoryActivationSource : IActivationSource, IDisposable
{
    private readonly Tensor _data;
    private readonly long _seed;
    private long _epoch = -1;
    private Tensor? _perm;
    public int D { get; }
    public long Position { get; private set; }
    public long Rows => _data.shape[0];

    public InMemoryActivationSource(Tensor data, long seed)
    {
        if (data.dim() != 2 || data.shape[0] == 0) throw new ArgumentException("data must be a non-empty [N, d] tensor", nameof(data));
        _data = data.to_type(ScalarType.Float32).cpu().contiguous().clone().DetachFromDisposeScope();
        D = (int)data.shape[1];
        _seed = seed;
    }

    public void Seek(long position)
    {
        if (position < 0) throw new ArgumentException($"position must be >= 0, got {position}", nameof(position));
        Position = position;
    }

    private Tensor Permutation(long epoch)
    {
        if (epoch != _epoch)
        {
            _perm?.Dispose();
            using var gen = new Generator((ulong)(_seed * 7919 + epoch));
            _perm = randperm(Rows, generator: gen).DetachFromDisposeScope();
            _epoch = epoch;
        }
        return _perm!;
    }

    public Tensor NextBatch(int rows)
    {
        using var scope = NewDisposeScope();
        var parts = new List<Tensor>();
        int left = rows;
        while (left > 0)
        {
            long epoch = Position / Rows, offset = Position % Rows;
            int take = (int)Math.Min(left, Rows - offset);
            parts.Add(_data.index_select(0, Permutation(epoch).narrow(0, offset, take)));
            Position += take;
            left -= take;
        }
        return (parts.Count == 1 ? parts[0] : cat(parts, 0)).MoveToOuterDisposeScope();
    }

    public void Dispose() { _data.Dispose(); _perm?.Dispose(); }
}
