using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using MMInterp.Silo.Hosting;

// mminterp-silo: one standalone silo. Several on one machine form a cluster when they share --db and
// --cluster-id and differ in --silo-port/--gateway-port. Settings: SiloCommandLine.Usage.
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
    Console.Error.WriteLine($"mminterp-silo: {e.Message}");
    Console.Error.WriteLine(SiloCommandLine.Usage);
    return 2;
}

var logLevel = MMInterpSiloHost.LogLevelFromEnvironment(LogLevel.Warning);
try
{
    await using var silo = await MMInterpSiloHost.StartAsync(options, telemetry, logLevel);
    Console.WriteLine($"mminterp-silo: '{options.Name}' up in cluster '{options.ClusterId}' (service '{options.ServiceId}'), " +
                      $"silo {options.Address}:{options.SiloPort}, gateway {(options.GatewayPort == 0 ? "none" : options.GatewayPort.ToString())}, role {options.Role.ToString().ToLowerInvariant()}");
    await silo.Host.WaitForShutdownAsync();
    Console.WriteLine("mminterp-silo: stopped");
    return 0;
}
catch (SiloStartException e)
{
    Console.Error.WriteLine($"mminterp-silo: {e.Message}");
    return 1;
}
