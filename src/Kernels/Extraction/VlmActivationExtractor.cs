using MMInterp.Kernels.Diagnostics;
using MMInterp.Kernels.Models.Vlm;
using MMInterp.Kernels.ShapesWorld;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Extraction;

/// <summary>
/// Runs a VLM over ShapesWorld images and returns each hook's activations as rows. Vision-tower hooks give every
/// vision token ([images * (patches + 1), d]), as for a CLIP. Adapter and LM hooks give the image-token positions
/// ([images * image tokens, d]): the LM is causal and the image comes first, so these states do not depend on any
/// question and one extraction serves every question type. The question slot holds a single padding token.
/// </summary>
public static class VlmActivationExtractor
{
    public static Dictionary<string, Tensor> Extract(VlmModel model, ShapesWorldGenerator world, long seed, long start, int count,
        IReadOnlyList<string> hooks, int batchSize = 64)
    {
        foreach (var h in hooks)
        {
            if (!model.Hooks.Contains(h))
                throw new ArgumentException($"hook '{h}' is not a hook point of this VLM; e.g. {string.Join(", ", model.Hooks.Names.Where(n => n.Contains("hook_resid_post", StringComparison.Ordinal)).Take(4))}");
            if (h.EndsWith("hook_pattern", StringComparison.Ordinal) || h.EndsWith("hook_attn_scores", StringComparison.Ordinal))
                throw new ArgumentException($"hook '{h}' is an attention pattern, not a per-token activation");
        }
        using var activity = KernelTelemetry.Source.StartActivity("kernel.extract.vlm");
        activity?.SetTag("mminterp.images", count);
        activity?.SetTag("mminterp.hooks", string.Join(",", hooks));
        var device = model.Device;
        var imageTokens = model.Config.ImageTokens;
        var lmHooks = hooks.Any(h => !h.StartsWith("vision.", StringComparison.Ordinal));
        model.eval();
        return HookRows.Collect(model.Hooks, hooks, start, count, batchSize, (at, n) =>
        {
            using var batch = world.Batch(seed, at, n, device);
            if (lmHooks) model.Logits(batch.Images, zeros(n, 1, dtype: int64, device: device));
            else model.VisionModel.Forward(batch.Images);
        }, (hook, a) => hook.StartsWith("vision.", StringComparison.Ordinal) ? a : a.narrow(1, 0, imageTokens));
    }
}
