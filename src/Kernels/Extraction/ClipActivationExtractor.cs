using MMInterp.Kernels.Diagnostics;
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
        foreach (var h in hooks)
            if (!model.Hooks.Contains(h))
                throw new ArgumentException($"hook '{h}' is not a hook point of this model; vision hooks are e.g. {string.Join(", ", model.Hooks.Names.Where(n => n.StartsWith("vision.", StringComparison.Ordinal)).Take(4))}");
        using var activity = KernelTelemetry.Source.StartActivity("kernel.extract");
        activity?.SetTag("mminterp.images", count);
        activity?.SetTag("mminterp.hooks", string.Join(",", hooks));
        var dev = device ?? CPU;
        model.eval();
        return HookRows.Collect(model.Hooks, hooks, start, count, batchSize, (at, n) =>
        {
            using var batch = world.Batch(seed, at, n, dev);
            model.VisionModel.Forward(batch.Images);
        });
    }
}
