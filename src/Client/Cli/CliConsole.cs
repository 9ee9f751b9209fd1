using Spectre.Console;

namespace MMInterp.Client.Cli;

/// <summary>
/// The console commands print tables to. Without a terminal (a pipe, a file, CI logs) Spectre assumes 80 columns and
/// wraps ids and hashes over several lines; there the width is wide instead, so each row stays one line for grep
/// and scripts. A terminal keeps its own width.
/// </summary>
public static class CliConsole
{
    /// <summary>Columns assumed when output is not a terminal.</summary>
    public const int RedirectedWidth = 512;

    public static IAnsiConsole Out(IAnsiConsole? given = null)
    {
        if (given is not null) return given;
        var terminal = AnsiConsole.Console;
        if (Console.IsOutputRedirected) terminal.Profile.Width = Math.Max(terminal.Profile.Width, RedirectedWidth);
        return terminal;
    }
}
