using MMInterp.Kernels.Diagnostics;
using MMInterp.Kernels.Models.Clip;
using MMInterp.Kernels.ShapesWorld;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Extraction;

/// <summary>
/// Runs the vision tower of a CLIP model over a range of ShapesWorld images and returns, for each requested hook,
/// its activations flattened to rows: [images * tokens, d] for residual and MLP hooks (every selected token is an SAE
/// example; <see cref="TokenSelection"/>: all, the patches or the class token).
/// </summary>
public static class ClipActivationExtractor
{
    public static Dictionary<string, Tensor> Extract(ClipModel model, ShapesWorldGenerator world, long seed, long start, int count,
        IReadOnlyList<string> hooks, int batchSize = 64, Device? device = null, TokenSelection tokens = TokenSelection.All)
    {
        var dev = device ?? CPU;
        return Run(model, start, count, hooks, batchSize, (at, n) =>
        {
            using var batch = world.Batch(seed, at, n, dev);
            Forward(model, batch.Images, hooks);
        }, tokens);
    }

    /// <summary>
    /// The same over any image source: <paramref name="pixels"/>(at, n) returns images at..at+n-1 preprocessed for the
    /// model, [n, C, H, W] (created inside the batch's dispose scope, so freed with it).
    /// </summary>
    public static Dictionary<string, Tensor> Extract(ClipModel model, Func<long, int, Tensor> pixels, long start, int count,
        IReadOnlyList<string> hooks, int batchSize = 64, TokenSelection tokens = TokenSelection.All) =>
        Run(model, start, count, hooks, batchSize, (at, n) => Forward(model, pixels(at, n), hooks), tokens);

    /// <summary>The vision tower up to the deepest block a hook reads: later blocks cannot change those activations.</summary>
    static void Forward(ClipModel model, Tensor pixels, IReadOnlyList<string> hooks)
    {
        var last = LastBlock(hooks, model.VisionModel.Blocks);
        if (last is int l) model.VisionModel.ForwardTo(pixels, l);
        else model.VisionModel.Forward(pixels);
    }

    /// <summary>The highest i of hooks named vision.blocks.{i}.*, or null when some hook is not inside a vision block.</summary>
    internal static int? LastBlock(IReadOnlyList<string> hooks, int blocks)
    {
        const string prefix = "vision.blocks.";
        var last = -1;
        foreach (var h in hooks)
        {
            var dot = h.StartsWith(prefix, StringComparison.Ordinal) ? h.IndexOf('.', prefix.Length) : -1;
            if (dot < 0 || !int.TryParse(h.AsSpan(prefix.Length, dot - prefix.Length), out var i) || i < 0 || i >= blocks) return null;
            last = Math.Max(last, i);
        }
        return last >= 0 ? last : null;
    }

    static Dictionary<string, Tensor> Run(ClipModel model, long start, int count, IReadOnlyList<string> hooks, int batchSize, Action<long, int> forward,
        TokenSelection tokens)
    {
        CheckHooks(model, hooks, tokens);
        using var activity = KernelTelemetry.Source.StartActivity("kernel.extract");
        activity?.SetTag("mminterp.images", count);
        activity?.SetTag("mminterp.hooks", string.Join(",", hooks));
        model.eval();
        return HookRows.Collect(model.Hooks, hooks, start, count, batchSize, forward, tokens == TokenSelection.All ? null : (h, a) => tokens.Select(a, h));
    }

    /// <summary>Refuses, before any forward pass, a hook the model does not have, and a selection other than all on a hook
    /// that is not a per-token vision stream (text tower, attention patterns) or that selects nothing there (patch
    /// tokens of the pooled hook).</summary>
    internal static void CheckHooks(ClipModel model, IReadOnlyList<string> hooks, TokenSelection tokens)
    {
        foreach (var h in hooks)
            if (!model.Hooks.Contains(h))
                throw new ArgumentException($"hook '{h}' is not a hook point of this model; vision hooks are e.g. {string.Join(", ", model.Hooks.Names.Where(n => n.StartsWith("vision.", StringComparison.Ordinal)).Take(4))}");
        if (tokens == TokenSelection.All) return;
        foreach (var h in hooks)
        {
            if (!h.StartsWith("vision.", StringComparison.Ordinal) || model.Hooks[h].HeadDim == 1)
                throw new ArgumentException($"tokens '{tokens.Name()}' applies to per-token vision hooks; '{h}' is not one (use tokens all)");
            if (h == ClipVisionTransformer.PooledHook) tokens.Range(1, h);
        }
    }
}
