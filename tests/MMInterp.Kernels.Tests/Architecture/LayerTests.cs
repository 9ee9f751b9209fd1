using System.Reflection;
using MMInterp.Kernels.Checkpoints;
using Xunit;

namespace MMInterp.Kernels.Tests.Architecture;

/// <summary>
/// Kernels' namespaces form the layers of <see cref="KernelLayers"/> with no upward and no circular edge, and the
/// projects reference only downward. The IL of the built assembly is the primary witness (it is what the names resolved
/// to); the sources add what compilation folds away. Failures name the edge, the files and what was used.
/// </summary>
public class LayerTests
{
    static readonly string KernelsAssembly = typeof(DiffusionCheckpoint).Assembly.Location;

    [Fact]
    public void CompiledKernelsHaveNoUpwardOrCircularEdge()
    {
        var problems = LayerChecker.Violations(KernelLayers.Order, IlDependencies.Of(KernelsAssembly));
        Assert.True(problems.Count == 0, "Kernels layering (IL):\n" + string.Join("\n", problems));
    }

    [Fact]
    public void KernelsSourcesHaveNoUpwardOrCircularEdge()
    {
        var problems = LayerChecker.Violations(KernelLayers.Order, SourceDependencies.Of(Path.Combine(RepoRoot(), "src", "Kernels")));
        Assert.True(problems.Count == 0, "Kernels layering (sources):\n" + string.Join("\n", problems));
    }

    [Fact]
    public void ProjectsReferenceOnlyDownward()
    {
        var graph = ProjectRules.ProjectGraph(Path.Combine(RepoRoot(), "src"));
        Assert.Contains("MMInterp.Kernels", graph.Keys);
        Assert.Contains("MMInterp.Grains", graph.Keys);
        var problems = ProjectRules.Violations(graph).ToList();

        // What the compiled Kernels really references (the project graph could be bypassed by a plain Reference).
        var compiled = Assembly.LoadFrom(KernelsAssembly).GetReferencedAssemblies().Select(a => a.Name ?? "").ToList();
        problems.AddRange(ProjectRules.Violations(new Dictionary<string, IReadOnlyList<string>> { ["MMInterp.Kernels"] = compiled }));
        problems.AddRange(compiled.Where(a => ProjectRules.KernelsForbiddenPackages.Any(p => a.StartsWith(p + ".", StringComparison.Ordinal) || a == p))
            .Select(a => $"MMInterp.Kernels must not reference {a} (kernels know nothing of Orleans or SQL)"));
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    /// <summary>The scanners are not vacuous: each sees edges that are known to exist, including one that only a
    /// method body holds.</summary>
    [Fact]
    public void ScannersSeeKnownEdges()
    {
        var il = IlDependencies.Of(KernelsAssembly);
        Assert.Contains(il, e => e is { From: "Checkpoints", To: "Models" } && e.File == "Checkpoints/DiffusionCheckpoint.cs");
        // LinearProbe names Training.AdamW relatively, inside its body only: a use the sources alone would miss.
        Assert.Contains(il, e => e is { From: "Probes", To: "Training", Via: "MMInterp.Kernels.Training.AdamW" } && e.File == "Probes/LinearProbe.cs");
        var source = SourceDependencies.Of(Path.Combine(RepoRoot(), "src", "Kernels"));
        Assert.Contains(source, e => e is { From: "Checkpoints", To: "Models", Via: "using MMInterp.Kernels.Models.Diffusion" }
                                     && e.File == "Checkpoints/DiffusionCheckpoint.cs");
    }

    static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "MMInterp.sln"))) return dir.FullName;
        throw new InvalidOperationException($"no MMInterp.sln above {AppContext.BaseDirectory}: run the tests from the repository's build output");
    }
}
