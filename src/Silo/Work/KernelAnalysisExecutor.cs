using MMInterp.Grains.Contracts.Experiments;
using MMInterp.Grains.Experiments;
using MMInterp.Silo.Work.Analysis;

namespace MMInterp.Silo.Work;

/// <summary>Dispatches an analysis to its kernel-backed runner by kind.</summary>
public sealed class KernelAnalysisExecutor(ClipStudyAnalysis clipStudy, ClipDataStudyAnalysis clipDataStudy, VlmStudyAnalysis vlmStudy, VlmSteerAnalysis vlmSteer, DiffusionStudyAnalysis diffusionStudy,
    DiffusionSteerAnalysis diffusionSteer) : IAnalysisExecutor
{
    public static IReadOnlyList<string> Kinds { get; } = [ClipStudyAnalysis.Kind, ClipDataStudyAnalysis.Kind, VlmStudyAnalysis.Kind, VlmSteerAnalysis.Kind, DiffusionStudyAnalysis.Kind,
        DiffusionSteerAnalysis.Kind];

    public Task<AnalysisOutcome> RunAsync(string experimentId, AnalysisSpec spec, Func<int, int, string, Task> progress, CancellationToken ct) =>
        spec.Kind switch
        {
            ClipStudyAnalysis.Kind => clipStudy.RunAsync(spec, progress, ct),
            ClipDataStudyAnalysis.Kind => clipDataStudy.RunAsync(spec, progress, ct),
            VlmStudyAnalysis.Kind => vlmStudy.RunAsync(spec, progress, ct),
            VlmSteerAnalysis.Kind => vlmSteer.RunAsync(spec, progress, ct),
            DiffusionStudyAnalysis.Kind => diffusionStudy.RunAsync(spec, progress, ct),
            DiffusionSteerAnalysis.Kind => diffusionSteer.RunAsync(spec, progress, ct),
            _ => throw new ArgumentException($"unknown analysis kind '{spec.Kind}'; known: {string.Join(", ", Kinds)}"),
        };
}
