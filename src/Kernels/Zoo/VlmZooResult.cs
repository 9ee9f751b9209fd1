using MMInterp.Kernels.Models.Vlm;

namespace MMInterp.Kernels.Zoo;

/// <summary>What a VLM zoo build produced.</summary>
public sealed record VlmZooResult(VlmZooConfig Config, VlmMetrics Metrics, string Directory, IReadOnlyList<string> Files,
    double TrainSeconds, double ClipSeconds, double FinalLoss);
