using MMInterp.Kernels.Extraction;
using MMInterp.Kernels.Hooks;
using MMInterp.Kernels.Models.Clip;
using MMInterp.Kernels.Sae;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Interp.Features;

/// <summary>Runs the vision tower on images and encodes the activation at one hook with an SAE, per token. Rows are cut
/// as the extractor cuts them (the last dimension is the SAE input), so per-head hooks (hook_z [B,T,H,dh]) give one
/// row per token and head; a token's activation is then the maximum over its heads.</summary>
public static class HookLatents
{
    /// <summary>Throws an ArgumentException when the hook is not a per-token vision hook of the model.</summary>
    public static void CheckHook(ClipModel model, string hook)
    {
        ArgumentNullException.ThrowIfNull(hook);
        if (!model.Hooks.Contains(hook))
            throw new ArgumentException($"hook '{hook}' is not a hook point of this model; vision hooks are e.g. {string.Join(", ", model.Hooks.Names.Where(n => n.StartsWith("vision.", StringComparison.Ordinal)).Take(4))}", nameof(hook));
        if (!hook.StartsWith("vision.", StringComparison.Ordinal))
            throw new ArgumentException($"hook '{hook}' is not on the vision tower: image features need a vision.* hook", nameof(hook));
        if (model.Hooks[hook].HeadDim == 1)
            throw new ArgumentException($"hook '{hook}' holds attention patterns, not per-token activations", nameof(hook));
    }

    /// <summary>Latents [B, T, m] (float32, CPU) for images [B, 3, H, W] on the model's device, T the selected tokens
    /// (<paramref name="tokens"/>); <paramref name="activation"/> (if given) also sees the raw activation at the hook, on
    /// the selected tokens.</summary>
    public static Tensor Encode(ClipModel model, ISparseAutoencoder sae, string hook, Tensor images, Action<Tensor>? activation = null,
        TokenSelection tokens = TokenSelection.All)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var cache = new ActivationCache();
        using (model.Hooks.Scope())
        {
            model.Hooks.Add(hook, Hook.Cache(cache));
            model.VisionModel.Forward(images);
        }
        var a = tokens.Select(cache[hook], hook);
        CheckWidth(sae, hook, a.shape[^1]);
        activation?.Invoke(a);
        long b = a.shape[0], t = a.shape[1];
        var rows = a.reshape(-1, a.shape[^1]).to(float32).to(sae.Device);
        if (!rows.isfinite().all().item<bool>())
            throw new InvalidOperationException($"the model produced non-finite activations at hook '{hook}': check the model weights and images");
        var z = sae.Encode(rows);
        if (!z.isfinite().all().item<bool>())
            throw new InvalidOperationException($"the SAE produced non-finite latents at hook '{hook}' (NaN or inf): check the SAE weights");
        return z.view(b, t, -1, z.shape[^1]).amax(2).cpu().MoveToOuterDisposeScope();
    }

    public static void CheckWidth(ISparseAutoencoder sae, string hook, long width)
    {
        if (width != sae.Config.DIn)
            throw new ArgumentException($"SAE d_in is {sae.Config.DIn} but hook '{hook}' has width {width}: this SAE was not trained on that hook", nameof(sae));
    }
}
