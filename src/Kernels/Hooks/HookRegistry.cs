namespace MMInterp.Kernels.Hooks;

/// <summary>All hook points of one model, by name. Towers register their points with a prefix
/// ("vision", "text", later "lm", "denoiser"), so every model family shares these types.</summary>
public sealed class HookRegistry
{
    readonly Dictionary<string, HookPoint> _points = new(StringComparer.Ordinal);

    /// <summary>Creates a point; a model calls this once per point while it is built.</summary>
    public HookPoint Register(string name, int headDim = -1)
    {
        if (_points.ContainsKey(name)) throw new InvalidOperationException($"hook point '{name}' is registered twice");
        var point = new HookPoint(name, headDim);
        _points.Add(name, point);
        return point;
    }

    /// <summary>Names in registration (forward) order.</summary>
    public IReadOnlyCollection<string> Names => _points.Keys;

    public HookPoint this[string name] => _points.TryGetValue(name, out var p) ? p
        : throw new ArgumentException($"no hook point '{name}'; this model has e.g. {string.Join(", ", _points.Keys.Where(k => k.EndsWith(name.Split('.').Last(), StringComparison.Ordinal)).Take(4).DefaultIfEmpty(_points.Keys.FirstOrDefault() ?? "none"))}");

    public bool Contains(string name) => _points.ContainsKey(name);

    /// <summary>Attaches a function to a point; functions on one point run in the order added.</summary>
    public void Add(string name, HookFn function) => (this[name].Functions ??= []).Add(function);

    /// <summary>Attaches a function to every point whose name matches.</summary>
    public void Add(Func<string, bool> match, HookFn function)
    {
        foreach (var p in _points.Values.Where(p => match(p.Name))) (p.Functions ??= []).Add(function);
    }

    /// <summary>Removes every function from every point (the model is then hook-free again).</summary>
    public void Clear()
    {
        foreach (var p in _points.Values) p.Functions = null;
    }

    /// <summary>Clears all hooks when disposed: <c>using (model.Hooks.Scope()) { ... }</c>.</summary>
    public IDisposable Scope() => new ClearOnDispose(this);

    sealed class ClearOnDispose(HookRegistry registry) : IDisposable
    {
        public void Dispose() => registry.Clear();
    }
}
