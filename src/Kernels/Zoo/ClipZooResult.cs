namespace MMInterp.Kernels.Zoo;

/// <summary>Held-out metrics of a tiny CLIP.</summary>
public sealed record ClipMetrics(double ZeroShotColour, double ZeroShotShape, double RetrievalRecallAt5, int EvalImages, int RetrievalImages);

/// <summary>What a zoo build produced: the directory (HF layout), its files, the metrics and how long it took.</summary>
public sealed record ClipZooResult(
    ClipZooConfig Config, ClipMetrics Metrics, string Directory, IReadOnlyList<string> Files,
    double TrainSeconds, double FinalLoss);
