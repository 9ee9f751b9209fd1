using MMInterp.Kernels.Models.Clip;

namespace MMInterp.Kernels.Zoo;

/// <summary>What a zoo build produced: the directory (HF layout), its files, the metrics and how long it took.</summary>
public sealed record ClipZooResult(
    ClipZooConfig Config, ClipMetrics Metrics, string Directory, IReadOnlyList<string> Files,
    double TrainSeconds, double FinalLoss);
