using System.CommandLine;
using MMInterp.Client.Commands;
using Spectre.Console;

namespace MMInterp.Client.Tests.Models;

/// <summary>Runs the `models` command in-process on a plain wide console; returns the exit code, stdout and stderr
/// (CliAction prints failures to stderr). Callers sit in the ConsoleErrorCollection: Console.Error is swapped.</summary>
static class ModelsCli
{
    public static async Task<(int Code, string Out, string Err)> InvokeAsync(string artefacts, string[] args, int width = 200)
    {
        var writer = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors, Interactive = InteractionSupport.No,
            Out = new AnsiConsoleOutput(writer),
        });
        console.Profile.Width = width;
        var root = new RootCommand { ModelsCommand.Create(console, artefacts) };
        var err = new StringWriter();
        var previous = Console.Error;
        Console.SetError(err);
        try { return (await root.Parse(args).InvokeAsync(), writer.ToString(), err.ToString()); }
        finally { Console.SetError(previous); }
    }
}
