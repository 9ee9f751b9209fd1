using static TorchSharp.torch;

namespace MMInterp.Kernels.Models.StableDiffusion;

/// <summary>SDXL's added conditions (diffusers' added_cond_kwargs): the pooled, projected text embedding of
/// text_encoder_2 and the six size numbers (original height, width; crop top, left; target height, width).</summary>
/// <param name="TextEmbeds">[B, projection_dim]</param>
/// <param name="TimeIds">[B, 6] float32</param>
public sealed record SdAddedCondition(Tensor TextEmbeds, Tensor TimeIds);

/// <summary>
/// The noise predictor a <see cref="StableDiffusionPipeline"/> samples with: diffusers' UNet2DConditionModel once it
/// is merged (an adapter over its Forward), a closed-form model in tests. The pipeline owns it after construction.
/// </summary>
public interface ISdDenoiser : IDisposable
{
    /// <summary>unet/config.json's in_channels (the latent channels it reads).</summary>
    int InChannels { get; }

    /// <summary>unet/config.json's sample_size (the latent side images default to), null when absent.</summary>
    int? SampleSize { get; }

    /// <summary>The model's output for one batch: noise (epsilon) or v, as the scheduler's prediction_type says.</summary>
    /// <param name="latents">[B, InChannels, h, w], already through the scheduler's scale_model_input</param>
    /// <param name="timesteps">[B] float32 (Euler's timesteps are fractional)</param>
    /// <param name="encoderHiddenStates">[B, T, cross_attention_dim]</param>
    /// <param name="added">SDXL's added conditions; null for SD1/SD2</param>
    Tensor PredictNoise(Tensor latents, Tensor timesteps, Tensor encoderHiddenStates, SdAddedCondition? added);
}
