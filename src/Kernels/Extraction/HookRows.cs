using MMInterp.Kernels.Hooks;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Extraction;

/// <summary>
/// Gathers hook activations as SAE rows ([examples * tokens, d], float32 on the CPU), batch by batch: every extractor
/// caches the same way and differs only in its forward pass and in which token positions it keeps.
/// </summary>
public static class HookRows
{
    /// <summary>
    /// For each batch [at, at+n) of [start, start+count), caches <paramref name="hooks"/> on <paramref name="registry"/>
    /// while <paramref name="forward"/> runs, then keeps <paramref name="select"/>(hook, activation) (all positions by default).
    /// </summary>
    public static Dictionary<string, Tensor> Collect(HookRegistry registry, IReadOnlyList<string> hooks, long start, int count, int batchSize,
        Action<long, int> forward, Func<string, Tensor, Tensor>? select = null)
    {
        if (count < 1) throw new ArgumentException($"extraction count must be positive, got {count}");
        using var rows = new Buffer(hooks);
        using var noGrad = no_grad();
        for (var at = start; at < start + count; at += batchSize)
        {
            var n = (int)Math.Min(batchSize, start + count - at);
            using var scope = NewDisposeScope();
            using var cache = new ActivationCache();
            using (registry.Scope())
            {
                foreach (var h in hooks) registry.Add(h, Hook.Cache(cache));
                forward(at, n);
            }
            foreach (var h in hooks) rows.Add(h, select is null ? cache[h] : select(h, cache[h]));
        }
        return rows.Concat();
    }

    /// <summary>Per-hook row blocks, detached from dispose scopes until concatenated.</summary>
    public sealed class Buffer(IEnumerable<string> hooks) : IDisposable
    {
        readonly Dictionary<string, List<Tensor>> _parts = hooks.ToDictionary(h => h, _ => new List<Tensor>());

        public void Add(string hook, Tensor activation) =>
            _parts[hook].Add(activation.reshape(-1, activation.shape[^1]).to(float32).cpu().contiguous().DetachFromDisposeScope());

        /// <summary>One [rows, d] tensor per hook; the caller owns them.</summary>
        public Dictionary<string, Tensor> Concat() => _parts.ToDictionary(kv => kv.Key, kv => cat(kv.Value, 0));

        public void Dispose()
        {
            foreach (var t in _parts.Values.SelectMany(p => p)) t.Dispose();
        }
    }
}
