using MMInterp.Kernels.Images;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Models.StableDiffusion;

/// <summary>One text-to-image run, with diffusers' __call__ defaults.</summary>
public sealed record SdRequest
{
    public required IReadOnlyList<string> Prompts { get; init; }
    /// <summary>One per prompt; null: "" for each (SD1/SD2), or zeros under SDXL's force_zeros_for_empty_prompt.</summary>
    public IReadOnlyList<string>? NegativePrompts { get; init; }
    public int Steps { get; init; } = 50;
    /// <summary>Classifier-free guidance: noise = uncond + g (cond - uncond); at g ≤ 1 only the prompts are run.</summary>
    public double GuidanceScale { get; init; } = 7.5;
    /// <summary>Seeds the generator the initial latents are drawn from (one draw for the whole batch, as diffusers).</summary>
    public long Seed { get; init; }
    /// <summary>Image size in pixels; null: the U-Net's sample_size x the VAE's down factor.</summary>
    public int? Height { get; init; }
    public int? Width { get; init; }
    /// <summary>SDXL's time ids: original size and target size default to (height, width), the crop to (0, 0).</summary>
    public (int Height, int Width)? OriginalSize { get; init; }
    public (int Top, int Left) CropTopLeft { get; init; }
    public (int Height, int Width)? TargetSize { get; init; }
}

/// <summary>Reported after each denoising step.</summary>
public sealed record SdStepProgress(int Step, int Steps, double Timestep);

/// <summary>The images, and the final latents (before the division by scaling_factor) [B, C, h, w].</summary>
public sealed record SdGeneration(IReadOnlyList<RgbImage> Images, Tensor Latents);

/// <summary>A batch of prompts as the denoiser reads them: cross-attention states [B, T, D] and, for SDXL, the
/// pooled projected embedding of text_encoder_2 [B, P].</summary>
public sealed record SdPromptEmbeddings(Tensor Hidden, Tensor? Pooled);
