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

/// <summary>Quality of a text-to-image model: attribute accuracy of generated single-object images against their
/// prompts (read by the classifier), the same with prompts shuffled (the chance control), the classifier's own
/// accuracy on real held-out images, and the held-out denoising loss.</summary>
public sealed record DiffusionMetrics(
    double ColourAccuracy, double ShapeAccuracy, double PositionAccuracy, double SizeAccuracy, double FillAccuracy,
    double ShuffledColourAccuracy, double ShuffledShapeAccuracy, double ShuffledPositionAccuracy,
    double ClassifierColour, double ClassifierShape, double ClassifierPosition, double ClassifierSize, double ClassifierFill,
    double HeldOutLoss, int EvalImages);
