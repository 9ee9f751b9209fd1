using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using MMInterp.Silo.Storage;

namespace MMInterp.Silo.Hosting;

/// <summary>
/// Builds and starts MMInterp silo hosts: `mminterp-silo` and the machine's local silo (`mminterp local-silo`).
/// Start-up checks the database before Orleans sees it, so a bad connection string or a missing schema is one
/// clear line instead of a membership-provider stack trace.
/// </summary>
public static class MMInterpSiloHost
{
    /// <summary>A configured, not yet started host; for callers that add their own services before building.</summary>
    public static HostApplicationBuilder CreateBuilder(SiloHostOptions options, TelemetryOptions telemetry, LogLevel logLevel = LogLevel.Warning)
    {
        options = options.Validated();
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, ApplicationName = "mminterp-silo" });
        // Logs go to stderr so stdout stays for results (the CLI's tables, the silo's status lines).
        builder.Logging.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss "; });
        builder.Services.Configure<ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        builder.Logging.SetMinimumLevel(logLevel);
        builder.Services.AddMMInterpTelemetry(telemetry, "mminterp-silo", options.Name);
        builder.UseOrleans(silo => silo.UseMMInterpSilo(options));
        return builder;
    }

    /// <summary>Checks the database, applies migrations (unless disabled), then starts the silo.</summary>
    /// <exception cref="SiloStartException">with a one-line reason.</exception>
    public static async Task<RunningSilo> StartAsync(SiloHostOptions options, TelemetryOptions? telemetry = null,
        LogLevel logLevel = LogLevel.Warning, CancellationToken ct = default)
    {
        try { options = options.Validated(); }
        catch (ArgumentException e) { throw new SiloStartException(e.Message, e); }

        PortCheck.EnsureFree(options);
        await DatabasePreflight.CheckAsync(options.ConnectionString, options.ApplyMigrations, ct);

        IHost? host = null;
        try
        {
            host = CreateBuilder(options, telemetry ?? TelemetryOptions.None, logLevel).Build();
            await host.StartAsync(ct);
            return new RunningSilo(host, options, deleteMembershipOnStop: options.Local);
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            if (host is not null) await DisposeQuietly(host);
            throw new SiloStartException($"silo '{options.Name}' failed to start (cluster '{options.ClusterId}', ports {options.SiloPort}/{options.GatewayPort}): {Innermost(e).Message}", e);
        }
    }

    /// <summary>MMINTERP_LOG_LEVEL (Trace ... Critical, None) or <paramref name="fallback"/>.</summary>
    public static LogLevel LogLevelFromEnvironment(LogLevel fallback) =>
        Enum.TryParse<LogLevel>(Environment.GetEnvironmentVariable("MMINTERP_LOG_LEVEL"), ignoreCase: true, out var level) ? level : fallback;

    static Exception Innermost(Exception e)
    {
        while (e.InnerException is not null) e = e.InnerException;
        return e;
    }

    static async Task DisposeQuietly(IHost host)
    {
        try { await host.StopAsync(TimeSpan.FromSeconds(5)); } catch (Exception) { /* it never fully started */ }
        host.Dispose();
    }
}
