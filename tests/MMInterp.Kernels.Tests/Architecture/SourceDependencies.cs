using System.Text.RegularExpressions;

namespace MMInterp.Kernels.Tests.Architecture;

/// <summary>
/// The namespace edges written in the Kernels sources: using directives (plain, static and aliases) and fully qualified
/// MMInterp.Kernels.X names in code (comments and string literals are skipped). It sees what the IL loses (a constant
/// or nameof of an upper type, a using that names an upper namespace) and misses names qualified relatively, which
/// <see cref="IlDependencies"/> sees.
/// </summary>
public static partial class SourceDependencies
{
    public static IReadOnlyList<DependencyEdge> Of(string kernelsDirectory)
    {
        var edges = new List<DependencyEdge>();
        foreach (var path in Directory.EnumerateFiles(kernelsDirectory, "*.cs", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(kernelsDirectory, path).Replace('\\', '/');
            if (relative.StartsWith("bin/", StringComparison.Ordinal) || relative.StartsWith("obj/", StringComparison.Ordinal)) continue;
            edges.AddRange(OfFile(relative, File.ReadAllText(path)));
        }
        return edges;
    }

    /// <summary>The edges of one file; a file without a namespace declaration has none.</summary>
    public static IEnumerable<DependencyEdge> OfFile(string file, string source)
    {
        var code = Code(source);
        var declared = Namespace().Match(code);
        if (!declared.Success) yield break;
        var from = declared.Groups["top"].Value;
        foreach (Match m in Using().Matches(code))
            if (m.Groups["top"].Value != from) yield return new DependencyEdge(from, m.Groups["top"].Value, file, $"using {m.Groups["name"].Value}");
        var body = Using().Replace(code, "");
        foreach (Match m in Qualified().Matches(body))
            if (m.Groups["top"].Value != from) yield return new DependencyEdge(from, m.Groups["top"].Value, file, m.Value);
    }

    /// <summary>The source without comments and with string and char literals emptied.</summary>
    static string Code(string source) => Literals().Replace(source, m => m.Value.StartsWith('/') ? (m.Value.StartsWith("//") ? "" : " ") : "\"\"");

    [GeneratedRegex(@"^\s*namespace\s+MMInterp\.Kernels\.(?<top>\w+)[\w.]*\s*[;{]", RegexOptions.Multiline)]
    private static partial Regex Namespace();

    [GeneratedRegex(@"^\s*(?:global\s+)?using\s+(?:static\s+)?(?:\w+\s*=\s*)?(?<name>MMInterp\.Kernels\.(?<top>\w+)[\w.]*)\s*;", RegexOptions.Multiline)]
    private static partial Regex Using();

    [GeneratedRegex(@"\bMMInterp\.Kernels\.(?<top>\w+)\.\w+")]
    private static partial Regex Qualified();

    // Comments first, then verbatim/raw/regular strings (interpolated holes are left in the emptied literal's place,
    // which only loses references written inside a hole) and char literals.
    [GeneratedRegex(""""//[^\n]*|/\*[\s\S]*?\*/|\$*@?"""[\s\S]*?"""|\$*@"(?:[^"]|"")*"|\$*"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)'"""")]
    private static partial Regex Literals();
}
