using MMInterp.Kernels.Hooks;
using MMInterp.Kernels.Models.Vlm;
using MMInterp.Kernels.Sae;
using MMInterp.Kernels.ShapesWorld;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Interp.Vlm;

/// <summary>Reads a VLM's own vision-tower activations at one hook: raw rows (to train an SAE on) and SAE latents
/// per image and token (to pick features by).</summary>
public static class VlmVisionActivations
{
    /// <summary>Throws an ArgumentException when the hook is not a per-token vision hook of this VLM.</summary>
    public static void CheckHook(IShapesVlm model, string hook)
    {
        ArgumentNullException.ThrowIfNull(hook);
        if (!hook.StartsWith("vision.", StringComparison.Ordinal) || !model.Hooks.Contains(hook))
            throw new ArgumentException($"hook '{hook}' is not a vision hook of this VLM; its tower has e.g. " +
                string.Join(", ", model.Hooks.Names.Where(n => n.StartsWith("vision.", StringComparison.Ordinal) && n.EndsWith("hook_resid_post", StringComparison.Ordinal))), nameof(hook));
        if (model.Hooks[hook].HasHeads)
            throw new ArgumentException($"hook '{hook}' is per head or an attention pattern; steering needs a per-token hook such as hook_resid_post", nameof(hook));
    }

    /// <summary>Activations [B, T, d] at the hook for images [B, 3, H, W] (no grad).</summary>
    public static Tensor At(IShapesVlm model, string hook, Tensor images)
    {
        CheckHook(model, hook);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var cache = new ActivationCache();
        using (model.Hooks.Scope())
        {
            model.Hooks.Add(hook, Hook.Cache(cache));
            model.VisionModel.Forward(images.to(model.Device));
        }
        return cache[hook].to(float32).clone().MoveToOuterDisposeScope(); // the cache frees its own copy
    }

    /// <summary>Every token's activation of images seed/start.. as rows [count*T, d] on the CPU (SAE training data).</summary>
    public static Tensor Rows(IShapesVlm model, string hook, ShapesWorldGenerator world, long seed, int count, int batchSize = 128)
    {
        if (count < 1) throw new ArgumentException($"count must be positive, got {count}", nameof(count));
        var parts = new List<Tensor>();
        using var scope = NewDisposeScope();
        for (var start = 0; start < count; start += batchSize)
        {
            using var batch = world.Batch(seed, start, Math.Min(batchSize, count - start), model.Device);
            var a = At(model, hook, batch.Images);
            parts.Add(a.reshape(-1, a.shape[^1]).cpu());
        }
        return cat(parts, 0).MoveToOuterDisposeScope();
    }

    /// <summary>SAE latents [B, T, m] (CPU) at the hook.</summary>
    public static Tensor Latents(IShapesVlm model, ISparseAutoencoder sae, string hook, Tensor images)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var a = At(model, hook, images);
        if (a.shape[^1] != sae.Config.DIn)
            throw new ArgumentException($"SAE d_in is {sae.Config.DIn} but hook '{hook}' has width {a.shape[^1]}: this SAE was not trained on that hook", nameof(sae));
        var z = sae.Encode(a.reshape(-1, a.shape[^1]).to(sae.Device));
        if (!z.isfinite().all().item<bool>())
            throw new InvalidOperationException($"the SAE produced non-finite latents at hook '{hook}': check the SAE weights");
        return z.view(a.shape[0], a.shape[1], -1).cpu().MoveToOuterDisposeScope();
    }
}
