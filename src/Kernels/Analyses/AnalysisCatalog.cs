namespace MMInterp.Kernels.Analyses;

/// <summary>
/// Every analysis by kind: what the silo's executor dispatches on and what the CLI's study commands submit. Adding an
/// analysis is a kernel under Kernels/Analyses, a line here, and (if users want a verb) a CLI command.
/// </summary>
public static class AnalysisCatalog
{
    public static IReadOnlyList<IAnalysis> All { get; } =
    [
        new ClipStudyAnalysis(),
        new ClipDataStudyAnalysis(),
        new ProbeAnalysis(),
        new VlmStudyAnalysis(),
        new VlmSteerAnalysis(),
        new DiffusionStudyAnalysis(),
        new DiffusionSaeAnalysis(),
        new DiffusionSteerAnalysis(),
    ];

    public static IReadOnlyList<string> Kinds { get; } = All.Select(a => a.Kind).ToList();

    /// <summary>The analysis of <paramref name="kind"/>, or an ArgumentException listing the known kinds.</summary>
    public static IAnalysis Get(string kind) => All.FirstOrDefault(a => a.Kind == kind)
        ?? throw new ArgumentException($"unknown analysis kind '{kind}'; known: {string.Join(", ", Kinds)}");

    public static T Get<T>() where T : IAnalysis => All.OfType<T>().Single();

    /// <summary>The current name of a figure recorded or printed under an older name (itself when it has none).</summary>
    public static string FigureName(string name) =>
        All.SelectMany(a => a.Figures).FirstOrDefault(f => f.Aliases.Contains(name))?.Name ?? name;
}
