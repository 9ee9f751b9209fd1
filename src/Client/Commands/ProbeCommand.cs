using System.CommandLine;
using MMInterp.Grains.Registry;
using MMInterp.Kernels.Analyses;

namespace MMInterp.Client.Commands;

/// <summary>`mminterp probe`: the clip-probe experiment; linear probes for ShapesWorld attributes at every block of a
/// CLIP's vision tower, the best block's accuracy beside chance, and the plot written to --out.</summary>
public static class ProbeCommand
{
    public static Command Create() =>
        new StudyVerb("probe", "held-out linear-probe accuracy per block for ShapesWorld attributes",
            AnalysisCatalog.Get<ProbeAnalysis>(), ModelFamily.Clip, "probe.png")
        {
            OutPicture = "probe",
        }.Create();
}
