namespace MMInterp.Kernels.Text;

/// <summary>
/// Vocabulary and template files: one entry per line, surrounding spaces trimmed, blank lines and lines starting
/// with '#' skipped. A repeated entry, a template without "{}" or a file with no entries is refused with one line
/// naming the file (and the line).
/// </summary>
public static class VocabularyFile
{
    /// <summary>Concepts, one per line.</summary>
    public static IReadOnlyList<string> ReadConcepts(string path) => Entries(path, "concept", ReadLines(path));

    /// <summary>Prompt templates, one per line, each with "{}" where the concept goes.</summary>
    public static IReadOnlyList<string> ReadTemplates(string path)
    {
        var lines = ReadLines(path);
        for (var i = 0; i < lines.Length; i++)
        {
            var t = lines[i].Trim();
            if (t.Length > 0 && !t.StartsWith('#') && !t.Contains("{}", StringComparison.Ordinal))
                throw new InvalidDataException($"{path}:{i + 1}: template '{t}' has no '{{}}' where the concept goes");
        }
        return Entries(path, "template", lines);
    }

    /// <summary>Entries of text already read (an embedded data file); <paramref name="source"/> names it in errors.</summary>
    public static IReadOnlyList<string> Entries(string source, string what, IReadOnlyList<string> lines, bool mergeRepeats = false)
    {
        var entries = new List<string>();
        var firstLine = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < lines.Count; i++)
        {
            var entry = lines[i].Trim();
            if (entry.Length == 0 || entry.StartsWith('#')) continue;
            if (firstLine.TryGetValue(entry, out var first))
            {
                if (mergeRepeats) continue;
                throw new InvalidDataException($"{source}:{i + 1}: {what} '{entry}' repeats line {first}");
            }
            firstLine[entry] = i + 1;
            entries.Add(entry);
        }
        if (entries.Count == 0) throw new InvalidDataException($"{source}: no {what}s (only blank lines and # comments)");
        return entries;
    }

    static string[] ReadLines(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such file", path);
        return File.ReadAllLines(path);
    }
}
