using System.Xml.Linq;

namespace MMInterp.Kernels.Tests.Architecture;

/// <summary>
/// Which projects may reach which: Kernels reaches none of Grains, Silo or Client; Grains reaches neither Silo nor
/// Client. Checked on the project graph (ProjectReference items, followed transitively) and on the assemblies a built
/// Kernels references (the compiler drops unused references, so this shows what code actually uses).
/// </summary>
public static class ProjectRules
{
    /// <summary>Project (assembly) name -> names it must not reach.</summary>
    public static IReadOnlyDictionary<string, string[]> Forbidden { get; } = new Dictionary<string, string[]>
    {
        ["MMInterp.Kernels"] = ["MMInterp.Grains", "MMInterp.Silo", "MMInterp.Client"],
        ["MMInterp.Grains"] = ["MMInterp.Silo", "MMInterp.Client"],
    };

    /// <summary>Kernels are plain classes over tensors: no Orleans, no SQL (assembly name prefixes).</summary>
    public static IReadOnlyList<string> KernelsForbiddenPackages { get; } = ["Orleans", "Microsoft.Orleans", "Npgsql"];

    /// <summary>Each forbidden project reached, with the path of references that reaches it.</summary>
    public static IReadOnlyList<string> Violations(IReadOnlyDictionary<string, IReadOnlyList<string>> references)
    {
        var problems = new List<string>();
        foreach (var (project, banned) in Forbidden)
        {
            if (!references.ContainsKey(project)) continue;
            // Breadth-first, remembering how each project was reached so the message shows the chain.
            var via = new Dictionary<string, string> { [project] = project };
            var queue = new Queue<string>([project]);
            while (queue.Count > 0)
            {
                var p = queue.Dequeue();
                foreach (var r in references.GetValueOrDefault(p) ?? [])
                    if (via.TryAdd(r, $"{via[p]} -> {r}")) queue.Enqueue(r);
            }
            foreach (var b in banned.Where(via.ContainsKey))
                problems.Add($"{project} must not reference {b}: {via[b]}");
        }
        return problems;
    }

    /// <summary>The project graph of every src/*/*.csproj: project name -> names of the projects it references.</summary>
    public static IReadOnlyDictionary<string, IReadOnlyList<string>> ProjectGraph(string srcDirectory)
    {
        var graph = new Dictionary<string, IReadOnlyList<string>>();
        foreach (var csproj in Directory.EnumerateFiles(srcDirectory, "*.csproj", SearchOption.AllDirectories))
        {
            var refs = XDocument.Load(csproj).Descendants()
                .Where(e => e.Name.LocalName == "ProjectReference")
                .Select(e => Path.GetFileNameWithoutExtension(((string?)e.Attribute("Include") ?? "").Replace('\\', '/')))
                .Where(n => n.Length > 0)
                .ToList();
            graph[Path.GetFileNameWithoutExtension(csproj)] = refs;
        }
        return graph;
    }
}
