using System.CommandLine;

namespace MMInterp.Client.Cli;

/// <summary>
/// A command line the parser refuses (a mistyped option, a missing argument, a value out of its list) is one line on
/// stderr naming the first problem and the command's help, and exit code 2; System.CommandLine's default prints every
/// error and the whole help page and exits 1.
/// </summary>
public static class ParseErrors
{
    public const int ExitCode = 2;

    /// <summary>Null when the line parsed; otherwise the one line to print.</summary>
    public static string? Line(ParseResult parse)
    {
        if (parse.Errors.Count == 0) return null;
        // A mistyped word ("extrakt", "--bogus") is the problem to name, not what its absence left missing.
        var unmatched = parse.UnmatchedTokens.FirstOrDefault();
        var error = parse.Errors.FirstOrDefault(e => unmatched is not null && e.Message.Contains(unmatched, StringComparison.Ordinal)) ?? parse.Errors[0];
        var first = OneLine(error.Message).TrimEnd('.');
        var more = parse.Errors.Count > 1 ? $" (and {parse.Errors.Count - 1} more)" : "";
        var path = CommandPath(parse.CommandResult);
        return $"error: {first}{more}; see `{path} --help`";
    }

    /// <summary>Parses and runs <paramref name="args"/>; a parse error is reported as <see cref="Line"/> with exit 2.</summary>
    public static async Task<int> InvokeAsync(RootCommand root, string[] args, TextWriter? err = null)
    {
        var parse = root.Parse(args);
        if (Line(parse) is { } line)
        {
            (err ?? Console.Error).WriteLine(line);
            return ExitCode;
        }
        return await parse.InvokeAsync();
    }

    static string CommandPath(System.CommandLine.Parsing.CommandResult? result)
    {
        var names = new List<string>();
        for (var r = result; r is not null; r = r.Parent as System.CommandLine.Parsing.CommandResult)
            names.Add(r.Parent is null ? "mminterp" : r.Command.Name);
        names.Reverse();
        return string.Join(' ', names);
    }

    static string OneLine(string s) => string.Join(' ', s.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}
