using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace MMInterp.Silo.Hosting;

/// <summary>
/// One standalone silo until it is told to stop (SIGTERM, Ctrl+C, or its idle exit): the body of `mminterp-silo`,
/// and of `mminterp local-silo`, the form in which the CLI starts the machine's local silo (the CLI's own build and
/// dependencies, so no second program has to be found beside it). Settings: <see cref="SiloCommandLine.Usage"/>.
/// </summary>
public static class SiloProgram
{
    public static async Task<int> RunAsync(string[] args, string name = "mminterp-silo")
    {
        if (args is ["--help"] or ["-h"])
        {
            Console.WriteLine(SiloCommandLine.Usage);
            return 0;
        }

        SiloHostOptions options;
        TelemetryOptions telemetry;
        try
        {
            options = SiloCommandLine.Parse(args, Environment.GetEnvironmentVariables());
            telemetry = TelemetryOptions.FromEnvironment(Environment.GetEnvironmentVariables());
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine($"{name}: {e.Message}");
            Console.Error.WriteLine(SiloCommandLine.Usage);
            return 2;
        }

        var logLevel = MMInterpSiloHost.LogLevelFromEnvironment(LogLevel.Warning);
        try
        {
            await using var silo = await MMInterpSiloHost.StartAsync(options, telemetry, logLevel);
            Console.WriteLine($"{name}: '{options.Name}' up in cluster '{options.ClusterId}' (service '{options.ServiceId}'), " +
                              $"silo {options.Address}:{options.SiloPort}, gateway {(options.GatewayPort == 0 ? "none" : options.GatewayPort.ToString())}, role {options.Role.ToString().ToLowerInvariant()}");
            await silo.Host.WaitForShutdownAsync();
            Console.WriteLine($"{name}: stopped");
            return 0;
        }
        catch (SiloStartException e)
        {
            Console.Error.WriteLine($"{name}: {e.Message}");
            return 1;
        }
    }
}
