using MMInterp.Kernels.Models.Diffusion;
using MMInterp.Kernels.Models.StableDiffusion;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Models.ZooUNet;

/// <summary>One sampling step as a lens reads it: the noise level s, and the map from any output of the U-Net's kind
/// for every row the U-Net ran on (null rows first when guided) to the clean image [B, 3, S, S] in about [-1, 1] that
/// its guided combination gives at this step (valid during the call). Conditional rows start at
/// <see cref="ConditionalRow"/> in the hooks' activations.</summary>
public sealed record UNetStepReading(int Index, double S, Func<Tensor, Tensor> CleanImage, int ConditionalRow);

/// <summary>A diffusion model whose denoiser is a <see cref="UNet2DConditionModel"/> (the zoo U-Net, a diffusers
/// pipeline): what the U-Net lens needs beyond <see cref="IZooDenoiser"/>, the U-Net itself (its output head) and
/// each sampling step's map from an output to a clean image.</summary>
public interface IUNetDenoiser : IZooDenoiser
{
    UNet2DConditionModel UNet { get; }

    /// <summary>Images in [0, 1] from the model's own sampler, as <see cref="IZooDenoiser.Sample"/>, handing
    /// <paramref name="read"/> each step after the U-Net ran (its hooks have fired for the step).</summary>
    Tensor SampleReading(TextCondition text, TextCondition nullText, SamplerOptions options, Action<UNetStepReading> read);
}
