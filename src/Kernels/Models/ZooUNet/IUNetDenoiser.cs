using MMInterp.Kernels.Models.Diffusion;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Models.ZooUNet;

/// <summary>One sampling step as a lens reads it, after the U-Net ran (its hooks have fired): the noise level s, the
/// noisy input x_t of the B images [B, C, h, w] in the model's space (pixels, or a pipeline's latents), the step's
/// guided clean-image estimate [B, 3, S, S] in about [-1, 1], and the first conditional row of the hooks' activations
/// (B when guided: null rows first; else 0). Valid during the call.</summary>
public sealed record UNetStepReading(int Index, double S, Tensor Input, Tensor Clean, int ConditionalRow);

/// <summary>A diffusion model whose denoiser is a UNet2DConditionModel (the zoo U-Net, a diffusers pipeline), sampled
/// with each step's input beside its clean estimate: what the U-Net lens reads.</summary>
public interface IUNetDenoiser : IZooDenoiser
{
    /// <summary>Images in [0, 1] from the model's own sampler, as <see cref="IZooDenoiser.Sample"/>, handing
    /// <paramref name="read"/> each step.</summary>
    Tensor SampleReading(TextCondition text, TextCondition nullText, SamplerOptions options, Action<UNetStepReading> read);
}
