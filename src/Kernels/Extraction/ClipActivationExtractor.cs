using MMInterp.Kernels.Diagnostics;
using MMInterp.Kernels.Hooks;
using MMInterp.Kernels.Models.Clip;
using MMInterp.Kernels.ShapesWorld;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Extraction;

/// <summary>
/// Runs the vision tower of a CLIP model over a range of ShapesWorld images and returns, for each requested hook,
/// its activations flattened to rows: [images * tokens, d] for residual and MLP hooks (every token is an SAE example).
/// </summary>
public static class ClipActivationExtractor
{
    public static Dictionary<string, Tensor> Extract(ClipModel model, ShapesWorldGenerator world, long seed, long start, int count,
        IReadOnlyList<string> hooks, int batchSize = 64, Device? device = null)
    {
        if (count < 1) throw new ArgumentException($"extraction count must be positive, got {count}");
        foreach (var h in hooks)
            if (!model.Hooks.Contains(h))
                throw new ArgumentException($"hook '{h}' is not a hook point of this model; vision hooks are e.g. {string.Join(", ", model.Hooks.Names.Where(n => n.StartsWith("vision.", StringComparison.Ordinal)).Take(4))}");
        using var activity = KernelTelemetry.Source.StartActivity("kernel.extract");
        activity?.SetTag("mminterp.images", count);
        activity?.SetTag("mminterp.hooks", string.Join(",", hooks));
        var dev = device ?? CPU;
        var parts = hooks.ToDictionary(h => h, _ => new List<Tensor>());
        using var noGrad = no_grad();
        model.eval();
        for (long at = start; at < start + count; at += batchSize)
        {
            var n = (int)Math.Min(batchSize, start + count - at);
            using var scope = NewDisposeScope();
            using var batch = world.Batch(seed, at, n, dev);
            using var cache = new ActivationCache();
            using (model.Hooks.Scope())
            {
                foreach (var h in hooks) model.Hooks.Add(h, Hook.Cache(cache));
                model.VisionModel.Forward(batch.Images);
            }
            foreach (var h in hooks)
            {
                var a = cache[h];
                parts[h].Add(a.reshape(-1, a.shape[^1]).to(float32).cpu().contiguous().DetachFromDisposeScope());
            }
        }
        return parts.ToDictionary(kv => kv.Key, kv =>
        {
            var all = cat(kv.Value, 0);
            foreach (var t in kv.Value) t.Dispose();
            return all;
        });
    }
}
