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
        using var rows = new Buffer(hooks, count);
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
            foreach (var h in hooks) rows.Add(h, select is null ? cache[h] : select(h, cache[h]), n);
        }
        return rows.Concat();
    }

    /// <summary>Per-hook row blocks, detached from dispose scopes until concatenated. Given the number of examples, a
    /// hook whose batches keep the same rows per example is written straight into one tensor sized for all of them, so
    /// the result is never held twice (once as blocks, once concatenated).</summary>
    public sealed class Buffer(IEnumerable<string> hooks, long examples = 0) : IDisposable
    {
        readonly Dictionary<string, List<Tensor>> _parts = hooks.ToDictionary(h => h, _ => new List<Tensor>());
        readonly Dictionary<string, (Tensor Rows, long RowsPerExample, long Filled)> _whole = new();

        public void Add(string hook, Tensor activation) => _parts[hook].Add(Rows(activation).DetachFromDisposeScope());

        /// <summary>Adds the rows of <paramref name="batchExamples"/> examples.</summary>
        public void Add(string hook, Tensor activation, int batchExamples)
        {
            using var scope = NewDisposeScope();
            var rows = Rows(activation);
            if (_parts[hook].Count == 0 && !_whole.ContainsKey(hook) && examples > 0 && batchExamples > 0 && rows.shape[0] % batchExamples == 0)
            {
                var whole = empty(examples * (rows.shape[0] / batchExamples), rows.shape[1], dtype: float32).DetachFromDisposeScope();
                _whole[hook] = (whole, rows.shape[0] / batchExamples, 0);
            }
            if (_whole.TryGetValue(hook, out var w))
            {
                if (rows.shape[0] == batchExamples * w.RowsPerExample && w.Filled + rows.shape[0] <= w.Rows.shape[0])
                {
                    w.Rows.narrow(0, w.Filled, rows.shape[0]).copy_(rows);
                    _whole[hook] = w with { Filled = w.Filled + rows.shape[0] };
                    return;
                }
                // Rows per example changed: keep what was written as a block and go on block by block.
                _parts[hook].Add(w.Rows.narrow(0, 0, w.Filled).DetachFromDisposeScope());
                w.Rows.Dispose();
                _whole.Remove(hook);
            }
            _parts[hook].Add(rows.contiguous().DetachFromDisposeScope());
        }

        static Tensor Rows(Tensor activation) => activation.reshape(-1, activation.shape[^1]).to(float32).cpu().contiguous();

        /// <summary>One [rows, d] tensor per hook; the caller owns them.</summary>
        public Dictionary<string, Tensor> Concat() => _parts.ToDictionary(kv => kv.Key, kv => Take(kv.Key, kv.Value));

        Tensor Take(string hook, List<Tensor> parts)
        {
            if (!_whole.Remove(hook, out var w)) return cat(parts, 0);
            // Handed to the caller, no longer the buffer's to dispose.
            return w.Filled == w.Rows.shape[0] ? w.Rows : Trimmed(w.Rows, w.Filled);
        }

        static Tensor Trimmed(Tensor rows, long filled)
        {
            using (rows) return rows.narrow(0, 0, filled).clone();
        }

        public void Dispose()
        {
            foreach (var t in _parts.Values.SelectMany(p => p)) t.Dispose();
            foreach (var w in _whole.Values) w.Rows.Dispose();
        }
    }
}
