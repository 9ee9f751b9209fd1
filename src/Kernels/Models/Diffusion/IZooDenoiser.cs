using MMInterp.Kernels.Hooks;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Models.Diffusion;

/// <summary>
/// A zoo text-to-image model as the diffusion analyses read it, whatever its denoiser (the DiT on rectified flow, the
/// U-Net on DDPM): noise levels run from 0 (clean) to 1 (pure noise) and each model maps them onto its own process;
/// images live in [-1, 1]; activations come out as tokens [B, tokens, d] on a square grid over the image.
/// </summary>
public interface IZooDenoiser : IDisposable
{
    IPromptEncoder Text { get; }

    /// <summary>The attribute oracle that scores generated images (trained on real ones of the model's size).</summary>
    AttributeClassifier Classifier { get; }

    HookRegistry Hooks { get; }

    int ImageSize { get; }

    /// <summary>The held-out split the model's recipe judges it on (prompts of analyses are drawn past it).</summary>
    long EvalSeed { get; }

    /// <summary>The hooks the temporal probes read, input side first: each block's output.</summary>
    IReadOnlyList<string> BlockHooks { get; }

    /// <summary>The transformer blocks, input side first (what block ablations skip).</summary>
    IReadOnlyList<SkippableBlock> Blocks { get; }

    /// <summary>Every self- and cross-attention layer, by block (what head roles and head ablations read).</summary>
    IReadOnlyList<AttentionSite> AttentionSites { get; }

    /// <summary>Side of the square pixel patch the noisy-input control pools as one token (a latent model's covers
    /// whole latents).</summary>
    int PixelPatch { get; }

    long ParameterCount { get; }

    /// <summary>Images [B, 3, S, S] in [0, 1] as the clean input x0 the denoiser noises: pixels in [-1, 1], or a latent
    /// model's scaled latents. Noise eps has x0's shape.</summary>
    Tensor CleanInput(Tensor images);

    /// <summary>x0 (from <see cref="CleanInput"/>) noised to levels s [B] in [0, 1] with noise eps.</summary>
    Tensor Noise(Tensor x0, Tensor s, Tensor eps);

    /// <summary>One denoiser pass at levels s [B] (hooks fire); returns the model's prediction.</summary>
    Tensor Forward(Tensor xs, Tensor s, TextCondition text);

    /// <summary>A hook's activation as tokens [B, tokens, d] (feature maps flattened over the grid, heads over their width).</summary>
    Tensor Tokens(string hook, Tensor activation);

    /// <summary>The held-out noise-prediction error per image [B] of the model's own training loss at levels s [B].</summary>
    Tensor LossPerImage(Tensor x0, Tensor s, Tensor eps, TextCondition text);

    /// <summary>The recipe's sampler (steps, guidance) seeded with <paramref name="seed"/>.</summary>
    SamplerOptions Sampler(long seed);

    /// <summary>Images in [0, 1] from the model's own sampler; <paramref name="afterStep"/> sees each step's noise level and
    /// clean-image estimate in [-1, 1] (conditional rows only; valid during the call); <paramref name="beforeStep"/> sees
    /// each step's noise level before the denoiser runs (what a steering hook keys on).</summary>
    Tensor Sample(TextCondition text, TextCondition nullText, SamplerOptions options, Action<double, Tensor>? afterStep = null, Action<double>? beforeStep = null);
}
