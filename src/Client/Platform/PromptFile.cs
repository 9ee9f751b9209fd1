namespace MMInterp.Client.Platform;

/// <summary>A `--prompt-file`: one prompt per line, blank lines and lines starting with # skipped.</summary>
public static class PromptFile
{
    /// <summary>The file's prompts; one line naming <paramref name="flag"/> when it is missing or holds none.</summary>
    public static IReadOnlyList<string> Read(string flag, string path)
    {
        if (!File.Exists(path)) throw new ArgumentException($"{flag}: no file '{path}'");
        var lines = File.ReadAllLines(path).Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#')).ToList();
        return lines.Count > 0 ? lines : throw new ArgumentException($"{flag}: '{path}' holds no lines (one entry per line; # starts a comment)");
    }
}
