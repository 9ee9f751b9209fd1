namespace MMInterp.Kernels.Models.Diffusion;

/// <summary>A text-to-image zoo model ready to use: the denoiser, its frozen text encoder, the attribute classifier that
/// scores its images, and the config it was trained with.</summary>
public sealed class DiffusionBundle(DiffusionTransformer denoiser, TextConditioner text, AttributeClassifier classifier, DiffusionZooConfig config) : IDisposable
{
    public DiffusionTransformer Denoiser { get; } = denoiser;
    public TextConditioner Text { get; } = text;
    public AttributeClassifier Classifier { get; } = classifier;
    public DiffusionZooConfig Config { get; } = config;

    public void Dispose()
    {
        Denoiser.Dispose();
        Classifier.Dispose();
        Text.Clip.Dispose();
    }
}
