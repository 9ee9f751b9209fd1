using TorchSharp;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Models.Llm;

/// <summary>
/// Keys (after rotary embedding) and values of every position seen so far, per layer, as [B, kvHeads, S, headDim]
/// float32. A forward given the cache attends over it plus its own positions and appends those. The cache owns its
/// tensors (they outlive the caller's dispose scopes) and frees them when disposed.
/// </summary>
public sealed class LlamaKvCache : IDisposable
{
    readonly Tensor?[] _keys, _values;

    public LlamaKvCache(int layers)
    {
        _keys = new Tensor?[layers];
        _values = new Tensor?[layers];
    }

    /// <summary>Positions cached (layer 0's; every layer has the same once a forward has finished).</summary>
    public int Length => _keys[0] is { } k ? (int)k.shape[2] : 0;

    /// <summary>Appends this forward's keys and values for one layer; returns all of them (owned by the cache).</summary>
    internal (Tensor Keys, Tensor Values) Append(int layer, Tensor keys, Tensor values)
    {
        _keys[layer] = Grow(_keys[layer], keys);
        _values[layer] = Grow(_values[layer], values);
        return (_keys[layer]!, _values[layer]!);
    }

    static Tensor Grow(Tensor? old, Tensor added)
    {
        var grown = (old is null ? added.detach().clone() : cat([old, added.detach()], 2)).DetachFromDisposeScope();
        old?.Dispose();
        return grown;
    }

    public void Dispose()
    {
        foreach (var t in _keys.Concat(_values)) t?.Dispose();
        Array.Clear(_keys);
        Array.Clear(_values);
    }
}
