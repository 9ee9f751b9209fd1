using MMInterp.Kernels.Models.Diffusion;
using MMInterp.Kernels.Models.StableDiffusion;

namespace MMInterp.Kernels.Models.ZooUNet;

/// <summary>The zoo U-Net ready to use: the denoiser, its frozen text encoder, the attribute classifier that scores its
/// images and its recipe. Owns all three models.</summary>
public sealed class UNetZooModel(UNet2DConditionModel unet, TextConditioner text, AttributeClassifier classifier, UNetZooConfig config) : IDisposable
{
    public UNet2DConditionModel UNet { get; } = unet;
    public TextConditioner Text { get; } = text;
    public AttributeClassifier Classifier { get; } = classifier;
    public UNetZooConfig Config { get; } = config;

    public void Dispose()
    {
        UNet.Dispose();
        Classifier.Dispose();
        Text.Clip.Dispose();
    }
}
