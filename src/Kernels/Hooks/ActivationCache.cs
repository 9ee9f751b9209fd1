using TorchSharp;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Hooks;

/// <summary>Detached copies of activations by hook name. The cache owns its tensors (they survive the caller's
/// dispose scope) and frees them when disposed.</summary>
public sealed class ActivationCache : IDisposable
{
    readonly Dictionary<string, Tensor> _values = new(StringComparer.Ordinal);

    public Tensor this[string name] => _values.TryGetValue(name, out var t) ? t
        : throw new KeyNotFoundException($"activation '{name}' was not cached; cached: {string.Join(", ", _values.Keys.Take(6))}");

    public IReadOnlyCollection<string> Names => _values.Keys;
    public bool Contains(string name) => _values.ContainsKey(name);

    /// <summary>Stores a detached copy, replacing an older one.</summary>
    public void Store(string name, Tensor activation)
    {
        var copy = activation.detach().clone().DetachFromDisposeScope();
        if (_values.Remove(name, out var old)) old.Dispose();
        _values[name] = copy;
    }

    public void Dispose()
    {
        foreach (var t in _values.Values) t.Dispose();
        _values.Clear();
    }
}
