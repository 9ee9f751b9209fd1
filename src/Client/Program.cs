using System.CommandLine;
using MMInterp.Client.Cli;
using MMInterp.Client.Commands;
using MMInterp.Client.Platform;
using MMInterp.Silo.Hosting;

// The machine's local silo, as the CLI starts it (Platform/LocalSilo): not a command users type.
if (args is [LocalSilo.Verb, .. var siloArgs]) return await SiloProgram.RunAsync(siloArgs, "mminterp local-silo");

// Each command group lives in Commands/ as a static Create() factory.
IDisposable? telemetry;
try
{
    telemetry = TelemetrySetup.StartProcessTelemetry(TelemetryOptions.FromEnvironment(Environment.GetEnvironmentVariables()), "mminterp");
}
catch (ArgumentException e)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 2;
}
int code;
using (telemetry)
{
    var root = new RootCommand("mminterp: mechanistic interpretability of multimodal models on an Orleans cluster");
    foreach (var command in CommandCatalog.All())
        root.Subcommands.Add(command);
    // A refused command line is one line on stderr and exit 2 (Cli/ParseErrors), not the whole help page.
    code = await ParseErrors.InvokeAsync(root, args.Length == 0 ? ["--help"] : args);
}
return NativeExit.Now(code);
