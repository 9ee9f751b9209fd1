using Microsoft.Extensions.DependencyInjection;
using MMInterp.Grains.Telemetry;
using Npgsql;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace MMInterp.Silo.Hosting;

/// <summary>OpenTelemetry for silo hosts: Orleans' and the platform's traces and meters, plus Npgsql commands.</summary>
public static class TelemetrySetup
{
    /// <summary>
    /// The platform's spans and Orleans' grain-call spans ("Microsoft.Orleans.Application": client -> grain).
    /// "Microsoft.Orleans.Runtime" is left out: it traces system targets (a timer span per silo every second),
    /// which buries request traces; add it with <see cref="OpenTelemetry.Trace.TracerProviderBuilder"/> if needed.
    /// </summary>
    public static readonly IReadOnlyList<string> TraceSources = [PlatformTelemetry.Name, "Microsoft.Orleans.Application"];

    public static readonly IReadOnlyList<string> Meters = [PlatformTelemetry.Name, "Microsoft.Orleans"];

    /// <summary>
    /// Trace context rides on grain calls, so a span started by a caller (CLI, web API) parents the grain's and the
    /// kernel's spans. Cheap when nobody listens: Orleans only creates activities for sampled listeners.
    /// </summary>
    public static ISiloBuilder UseMMInterpTracing(this ISiloBuilder silo) => silo.AddActivityPropagation();

    /// <summary>
    /// Process-wide providers for a program that is not a silo host (the CLI, a client of the silos).
    /// </summary>
    public static IDisposable? StartProcessTelemetry(TelemetryOptions options, string serviceName)
    {
        if (!options.Enabled) return null;
        var resource = ResourceBuilder.CreateDefault().AddService(serviceName, serviceInstanceId: Environment.ProcessId.ToString());
        var tracing = OpenTelemetry.Sdk.CreateTracerProviderBuilder().SetResourceBuilder(resource).AddSource([.. TraceSources]).AddNpgsql();
        if (options.Otlp) tracing.AddOtlpExporter();
        if (options.Console) tracing.AddConsoleExporter();
        var metrics = OpenTelemetry.Sdk.CreateMeterProviderBuilder().SetResourceBuilder(resource).AddMeter([.. Meters]);
        if (options.Otlp) metrics.AddOtlpExporter();
        if (options.Console) metrics.AddConsoleExporter();
        return new Providers(tracing.Build(), metrics.Build());
    }

    sealed class Providers(TracerProvider? tracer, MeterProvider? meter) : IDisposable
    {
        public void Dispose()
        {
            tracer?.Dispose();
            meter?.Dispose();
        }
    }

    public static IServiceCollection AddMMInterpTelemetry(this IServiceCollection services, TelemetryOptions options, string serviceName, string instanceId)
    {
        if (!options.Enabled) return services;
        services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService(serviceName, serviceInstanceId: instanceId))
            .WithTracing(t =>
            {
                t.AddSource([.. TraceSources]).AddNpgsql();
                if (options.Otlp) t.AddOtlpExporter();
                if (options.Console) t.AddConsoleExporter();
            })
            .WithMetrics(m =>
            {
                m.AddMeter([.. Meters]);
                if (options.Otlp) m.AddOtlpExporter();
                if (options.Console) m.AddConsoleExporter();
            });
        return services;
    }
}
