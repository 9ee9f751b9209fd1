using MMInterp.Kernels.Models.Diffusion;

namespace MMInterp.Kernels.Zoo;

/// <summary>What a zoo build produced.</summary>
public sealed record DiffusionZooResult(DiffusionZooConfig Config, DiffusionMetrics Metrics, string Directory, IReadOnlyList<string> Files,
    double TrainSeconds, double FinalLoss, IReadOnlyList<(int Step, double Loss)> LossCurve);
