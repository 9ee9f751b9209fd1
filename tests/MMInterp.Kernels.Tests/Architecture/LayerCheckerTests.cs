using Xunit;

namespace MMInterp.Kernels.Tests.Architecture;

/// <summary>The checkers on synthetic graphs: each kind of violation fails with a message naming it, and a clean
/// graph passes.</summary>
public class LayerCheckerTests
{
    static readonly IReadOnlyList<Layer> Layers =
    [
        new("bottom", ["Tensors", "Plots"]),
        new("middle", ["Models"]),
        new("top", ["Interp", "Probes", "Zoo"]),
    ];

    static DependencyEdge Edge(string from, string to, string file = "X.cs", string via = "T") => new(from, to, file, via);

    [Fact]
    public void DownwardAndAcyclicSameLayerEdgesPass()
    {
        Assert.Empty(LayerChecker.Violations(Layers,
            [Edge("Models", "Tensors"), Edge("Interp", "Models"), Edge("Interp", "Plots"), Edge("Zoo", "Interp"), Edge("Plots", "Tensors"), Edge("Models", "Models")]));
    }

    [Fact]
    public void UpwardEdgeNamesTheFileAndTheNamespaces()
    {
        var problems = LayerChecker.Violations(Layers, [Edge("Plots", "Interp", "Plots/SteeringPlotPng.cs", "MMInterp.Kernels.Interp.Steering.FeatureSteering")]);
        var p = Assert.Single(problems);
        Assert.Contains("upward edge Plots (bottom) -> Interp (top)", p);
        Assert.Contains("Plots/SteeringPlotPng.cs (MMInterp.Kernels.Interp.Steering.FeatureSteering)", p);
    }

    [Fact]
    public void CycleWithinALayerIsReported()
    {
        var problems = LayerChecker.Violations(Layers, [Edge("Interp", "Zoo", "Interp/A.cs"), Edge("Zoo", "Interp", "Zoo/B.cs")]);
        var p = Assert.Single(problems);
        Assert.Contains("cycle Interp -> Zoo -> Interp (among Interp, Zoo)", p);
        Assert.Contains("Interp -> Zoo in Interp/A.cs", p);
        Assert.Contains("Zoo -> Interp in Zoo/B.cs", p);
    }

    [Fact]
    public void CycleAcrossLayersIsReportedAsUpwardAndAsCycle()
    {
        var problems = LayerChecker.Violations(Layers, [Edge("Models", "Interp", "Models/M.cs"), Edge("Interp", "Models")]);
        Assert.Contains(problems, p => p.StartsWith("upward edge Models (middle) -> Interp (top): Models/M.cs", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("cycle Interp -> Models -> Interp", StringComparison.Ordinal));
    }

    [Fact]
    public void CycleMessageNamesAShortestCycle()
    {
        var p = Assert.Single(LayerChecker.Violations(Layers,
            [Edge("Interp", "Probes"), Edge("Probes", "Zoo"), Edge("Zoo", "Interp"), Edge("Probes", "Interp", "Probes/P.cs")]));
        Assert.StartsWith("cycle Interp -> Probes -> Interp (among Interp, Probes, Zoo): ", p);
        Assert.Contains("Probes -> Interp in Probes/P.cs", p);
    }

    [Fact]
    public void NamespaceOutsideEveryLayerIsReported()
    {
        var p = Assert.Single(LayerChecker.Violations(Layers, [Edge("Interp", "Gadgets", "Interp/C.cs")]));
        Assert.Contains("namespace MMInterp.Kernels.Gadgets is in no layer", p);
        Assert.Contains("Interp/C.cs", p);
    }

    [Fact]
    public void NamespaceInTwoLayersIsRefused()
    {
        Assert.Throws<ArgumentException>(() => LayerChecker.Violations([new("a", ["X"]), new("b", ["X"])], []));
    }

    [Fact]
    public void SourceScanReadsUsingsAndQualifiedNamesButNotCommentsOrStrings()
    {
        const string source = """
            using MMInterp.Kernels.Models.Clip;
            using static MMInterp.Kernels.Tensors.Scalars;
            using Z = MMInterp.Kernels.Zoo.ClipZooConfig;
            // using MMInterp.Kernels.Sae; (a comment)
            namespace MMInterp.Kernels.Interp.Vlm;
            /// <see cref="MMInterp.Kernels.Activations.ActivationSetReader"/>
            class C { object A = new MMInterp.Kernels.Hooks.ActivationCache(); string S = "MMInterp.Kernels.Text.Data.x"; }
            """;
        var edges = SourceDependencies.OfFile("Interp/Vlm/C.cs", source).ToList();
        Assert.Equal(new[] { "Hooks", "Models", "Tensors", "Zoo" }, edges.Select(e => e.To).Order(StringComparer.Ordinal));
        Assert.All(edges, e => Assert.Equal("Interp", e.From));
    }

    [Fact]
    public void ProjectRulesFollowReferencesTransitively()
    {
        var graph = new Dictionary<string, IReadOnlyList<string>>
        {
            ["MMInterp.Kernels"] = ["MMInterp.Helpers"],
            ["MMInterp.Helpers"] = ["MMInterp.Grains"],
            ["MMInterp.Grains"] = ["MMInterp.Kernels", "MMInterp.Client"],
            ["MMInterp.Silo"] = ["MMInterp.Grains"],
        };
        var problems = ProjectRules.Violations(graph);
        Assert.Contains("MMInterp.Kernels must not reference MMInterp.Grains: MMInterp.Kernels -> MMInterp.Helpers -> MMInterp.Grains", problems);
        Assert.Contains("MMInterp.Grains must not reference MMInterp.Client: MMInterp.Grains -> MMInterp.Client", problems);
        Assert.Empty(ProjectRules.Violations(new Dictionary<string, IReadOnlyList<string>>
        {
            ["MMInterp.Silo"] = ["MMInterp.Grains"], ["MMInterp.Grains"] = ["MMInterp.Kernels"], ["MMInterp.Kernels"] = [],
        }));
    }
}
