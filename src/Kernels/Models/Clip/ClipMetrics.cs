namespace MMInterp.Kernels.Models.Clip;

/// <summary>Held-out metrics of a tiny CLIP.</summary>
public sealed record ClipMetrics(double ZeroShotColour, double ZeroShotShape, double RetrievalRecallAt5, int EvalImages, int RetrievalImages);
