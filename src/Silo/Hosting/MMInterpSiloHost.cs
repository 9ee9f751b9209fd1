using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using MMInterp.Silo.Storage;

namespace MMInterp.Silo.Hosting;

/// <summary>
/// Builds and starts MMInterp silo hosts: the standalone `mminterp-silo` process and the CLI's in-process silo.
/// Start-up checks the database before Orleans sees it, so a bad connection string or a missing schema is one
/// clear line instead of a membership-provider stack trace.
/// </summary>
public static class MMInterpSiloHost
{
    /// <summary>A configured, not yet started host; for callers that add their own services before building.</summary>
    public static HostApplicationBuilder CreateBuilder(SiloHostOptions options, TelemetryOptions telemetry, LogLevel logLevel = LogLevel.Warning, bool embedded = false)
    {
        options = options.Validated();
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, ApplicationName = "mminterp-silo" });
        // Logs go to stderr so stdout stays for results (the CLI's tables, the silo's status lines).
        builder.Logging.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss "; });
        builder.Services.Configure<ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        builder.Logging.SetMinimumLevel(logLevel);
        // Inside the CLI the host must not take over Ctrl+C or print lifetime banners; the CLI owns the console.
        if (embedded) builder.Services.AddSingleton<IHostLifetime, EmbeddedLifetime>();
        builder.Services.AddMMInterpTelemetry(telemetry, embedded ? "mminterp" : "mminterp-silo", options.Name);
        builder.UseOrleans(silo => silo.UseMMInterpSilo(options));
        return builder;
    }

    /// <summary>Checks the database, applies migrations (unless disabled), then starts the silo.</summary>
    /// <exception cref="SiloStartException">with a one-line reason.</exception>
    public static async Task<RunningSilo> StartAsync(SiloHostOptions options, TelemetryOptions? telemetry = null,
        LogLevel logLevel = LogLevel.Warning, bool embedded = false, CancellationToken ct = default)
    {
        try { options = options.Validated(); }
        catch (ArgumentException e) { throw new SiloStartException(e.Message, e); }

        PortCheck.EnsureFree(options);
        await DatabasePreflight.CheckAsync(options.ConnectionString, options.ApplyMigrations, ct);

        IHost? host = null;
        try
        {
            host = CreateBuilder(options, telemetry ?? TelemetryOptions.None, logLevel, embedded).Build();
            await host.StartAsync(ct);
            return new RunningSilo(host, options, deleteMembershipOnStop: embedded);
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            if (host is not null) await DisposeQuietly(host);
            throw new SiloStartException($"silo '{options.Name}' failed to start (cluster '{options.ClusterId}', ports {options.SiloPort}/{options.GatewayPort}): {Innermost(e).Message}", e);
        }
    }

    /// <summary>
    /// The CLI's embedded default: one in-process silo on <paramref name="connectionString"/>, a cluster of its own.
    /// Logs only errors unless MMINTERP_LOG_LEVEL says otherwise: Orleans' start-up warnings (server GC, CPU
    /// starvation on a busy 2-core box) are not something a CLI user can act on.
    /// </summary>
    public static Task<RunningSilo> StartEmbeddedAsync(string connectionString, CancellationToken ct = default) =>
        // The hosting program owns telemetry for the whole process (TelemetrySetup.StartProcessTelemetry).
        StartAsync(SiloHostOptions.Embedded(connectionString), TelemetryOptions.None,
            LogLevelFromEnvironment(LogLevel.Error), embedded: true, ct);

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
