using System.CommandLine;
using MMInterp.Client.Cli;

namespace MMInterp.Client.Commands;

public static class VersionCommand
{
    public static Command Create()
    {
        var command = new Command("version", "print the platform and libtorch versions");
        CliAction.Set(command, (_, _) =>
        {
            Console.WriteLine($"mminterp {typeof(VersionCommand).Assembly.GetName().Version} (libtorch {TorchSharp.torch.__version__})");
            return Task.FromResult(0);
        });
        return command;
    }
}
