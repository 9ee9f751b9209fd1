using System.Collections;

namespace MMInterp.Silo.Hosting;

/// <summary>
/// Where traces and metrics go. OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set (the exporter reads the standard
/// OTEL_* variables itself); the console only when MMINTERP_TELEMETRY=console, because periodic metric dumps would
/// drown CLI output; nothing when neither, or when MMINTERP_TELEMETRY=off.
/// </summary>
public sealed record TelemetryOptions(bool Otlp, bool Console)
{
    public const string ModeVariable = "MMINTERP_TELEMETRY";
    public const string OtlpEndpointVariable = "OTEL_EXPORTER_OTLP_ENDPOINT";

    public static TelemetryOptions None { get; } = new(false, false);

    public bool Enabled => Otlp || Console;

    /// <summary>Throws ArgumentException for an unknown MMINTERP_TELEMETRY value.</summary>
    public static TelemetryOptions FromEnvironment(IDictionary environment)
    {
        var mode = (environment[ModeVariable] as string)?.Trim().ToLowerInvariant();
        var otlp = !string.IsNullOrWhiteSpace(environment[OtlpEndpointVariable] as string);
        return mode switch
        {
            null or "" or "auto" => new(otlp, false),
            "console" => new(otlp, true),
            "off" or "none" => None,
            _ => throw new ArgumentException($"{ModeVariable} must be console, off or auto, got '{mode}'"),
        };
    }
}
