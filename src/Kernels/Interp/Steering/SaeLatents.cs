using MMInterp.Kernels.Extraction;
using MMInterp.Kernels.Hooks;
using MMInterp.Kernels.Interp.Features;
using MMInterp.Kernels.Models.Clip;
using MMInterp.Kernels.Sae;
using TorchSharp;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Interp.Steering;

/// <summary>SAE latents of images at a vision hook, summarised per image.</summary>
public static class SaeLatents
{
    /// <summary>Checks that <paramref name="hook"/> is a vision hook of the model and that the SAE reads its width
    /// (one forward of a single image); throws ArgumentException naming the mismatch.</summary>
    public static void CheckHook(ClipModel model, ISparseAutoencoder sae, string hook)
    {
        if (!hook.StartsWith("vision.", StringComparison.Ordinal) || !model.Hooks.Contains(hook))
            throw new ArgumentException($"hook '{hook}' is not a vision hook point of this model; e.g. {string.Join(", ", model.Hooks.Names.Where(n => n.StartsWith("vision.", StringComparison.Ordinal) && n.EndsWith("hook_resid_post", StringComparison.Ordinal)))}", nameof(hook));
        var size = model.Config.Vision.ImageSize;
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        using var cache = new ActivationCache();
        using (model.Hooks.Scope())
        {
            model.Hooks.Add(hook, Hook.Cache(cache));
            model.VisionModel.Forward(zeros(1, model.Config.Vision.NumChannels, size, size, device: model.LogitScale.device));
        }
        var width = cache[hook].shape[^1];
        if (width != sae.Config.DIn)
            throw new ArgumentException($"SAE expects width {sae.Config.DIn} but '{hook}' has width {width}: the SAE was trained on another hook or model", nameof(sae));
    }

    /// <summary>Checks that an edit restricted to <paramref name="tokens"/> can be spliced at <paramref name="hook"/>: the
    /// splice sees one row per token there (no head dimension) and the selection keeps some token.</summary>
    public static void CheckTokens(ClipModel model, string hook, TokenSelection tokens)
    {
        if (tokens == TokenSelection.All) return;
        if (model.Hooks[hook].HasHeads)
            throw new ArgumentException($"tokens '{tokens.Name()}' in steering and the typographic defence needs a hook without heads; '{hook}' has them (use tokens all)", nameof(tokens));
        if (hook == ClipVisionTransformer.PooledHook) tokens.Range(1, hook);
    }

    /// <summary>Per image, each feature's largest latent over the image's (selected) tokens: [B, m] on the CPU.</summary>
    public static Tensor PerImageMax(ClipModel model, ISparseAutoencoder sae, string hook, Tensor images, int batchSize = 128,
        TokenSelection tokens = TokenSelection.All)
    {
        var wasTraining = model.training;
        model.eval();
        var device = model.LogitScale.device;
        var parts = new List<Tensor>();
        for (long start = 0; start < images.shape[0]; start += batchSize)
        {
            using var scope = NewDisposeScope();
            var latents = HookLatents.Encode(model, sae, hook, images.narrow(0, start, Math.Min(batchSize, images.shape[0] - start)).to(device), tokens: tokens);
            parts.Add(latents.amax([1]).MoveToOuterDisposeScope());
        }
        model.train(wasTraining);
        return parts.Count == 1 ? parts[0] : cat(parts, 0);
    }
}
