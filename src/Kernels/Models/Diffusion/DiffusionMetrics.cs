namespace MMInterp.Kernels.Models.Diffusion;

/// <summary>Quality of a text-to-image model: attribute accuracy of generated single-object images against their
/// prompts (read by the classifier), the same with prompts shuffled (the chance control), the classifier's own
/// accuracy on real held-out images, and the held-out denoising loss.</summary>
public sealed record DiffusionMetrics(
    double ColourAccuracy, double ShapeAccuracy, double PositionAccuracy, double SizeAccuracy, double FillAccuracy,
    double ShuffledColourAccuracy, double ShuffledShapeAccuracy, double ShuffledPositionAccuracy,
    double ClassifierColour, double ClassifierShape, double ClassifierPosition, double ClassifierSize, double ClassifierFill,
    double HeldOutLoss, int EvalImages);
