using System.Collections;
using System.Net;
using MMInterp.Grains.Placement;

namespace MMInterp.Silo.Hosting;

/// <summary>
/// Reads <see cref="SiloHostOptions"/> from `mminterp-silo` arguments, falling back to environment variables.
/// Kept free of a CLI library: the silo has a handful of flags and must start fast under process supervisors.
/// </summary>
public static class SiloCommandLine
{
    /// <summary>Flag, environment variable, meaning: the one table the parser and the usage text share.</summary>
    public static readonly IReadOnlyList<(string Flag, string Env, string Help)> Settings =
    [
        ("--db", "MMINTERP_DB", "Npgsql connection string of the cluster database (required)"),
        ("--cluster-id", "MMINTERP_CLUSTER_ID", $"silos with one cluster id form one cluster (default {SiloHostOptions.DefaultClusterId})"),
        ("--service-id", "MMINTERP_SERVICE_ID", $"keys grain state and reminders (default {SiloHostOptions.DefaultServiceId})"),
        ("--silo-port", "MMINTERP_SILO_PORT", $"silo-to-silo port (default {SiloHostOptions.DefaultSiloPort})"),
        ("--gateway-port", "MMINTERP_GATEWAY_PORT", $"client gateway port, 0 = none (default {SiloHostOptions.DefaultGatewayPort})"),
        ("--address", "MMINTERP_ADVERTISED_IP", "IP address other silos dial (default 127.0.0.1)"),
        ("--name", "MMINTERP_SILO_NAME", "silo name in membership and telemetry (default host:port)"),
        ("--role", "MMINTERP_SILO_ROLE", "accelerator, control or both (default both)"),
        ("--no-migrate", "MMINTERP_NO_MIGRATE", "do not apply schema migrations at start (set to 1)"),
        ("--idle-exit", "MMINTERP_SILO_IDLE_MINUTES", "stop after this many minutes with no client and no work (default 0 = never; 15 with --local)"),
        ("--local", "MMINTERP_SILO_LOCAL", "the machine's local silo the CLI starts: one-use cluster id, membership dropped at stop (set to 1)"),
    ];

    public static string Usage =>
        "usage: mminterp-silo [options]\n" + string.Join("\n", Settings.Select(s => $"  {s.Flag,-15} {s.Env,-24} {s.Help}")) +
        "\ntelemetry: OTEL_EXPORTER_OTLP_ENDPOINT exports OTLP; MMINTERP_TELEMETRY=console prints to stdout" +
        "\nlogging: MMINTERP_LOG_LEVEL=Information|Warning|Error (default Warning), written to stderr";

    /// <summary>Throws ArgumentException with a one-line reason on unknown flags, missing values or bad numbers.</summary>
    public static SiloHostOptions Parse(IReadOnlyList<string> args, IDictionary environment)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var s in Settings)
            if (environment[s.Env] is string v && !string.IsNullOrWhiteSpace(v)) values[s.Flag] = v;

        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            var eq = arg.IndexOf('=');
            var flag = eq > 0 ? arg[..eq] : arg;
            if (Settings.All(s => s.Flag != flag)) throw new ArgumentException($"unknown option '{arg}'");
            if (flag is "--no-migrate" or "--local") { values[flag] = "1"; continue; }
            if (eq > 0) values[flag] = arg[(eq + 1)..];
            else if (i + 1 < args.Count) values[flag] = args[++i];
            else throw new ArgumentException($"option {flag} needs a value");
        }

        var local = values.GetValueOrDefault("--local") is "1" or "true";
        if (!values.TryGetValue("--db", out var db))
            throw new ArgumentException("no database: pass --db \"Host=...;Username=...;Database=...\" or set MMINTERP_DB");
        return new SiloHostOptions(
            db,
            ClusterId: values.GetValueOrDefault("--cluster-id", SiloHostOptions.DefaultClusterId),
            ServiceId: values.GetValueOrDefault("--service-id", SiloHostOptions.DefaultServiceId),
            SiloPort: Port(values, "--silo-port", SiloHostOptions.DefaultSiloPort),
            GatewayPort: Port(values, "--gateway-port", SiloHostOptions.DefaultGatewayPort),
            AdvertisedAddress: values.TryGetValue("--address", out var ip) ? Address(ip) : null,
            SiloName: values.GetValueOrDefault("--name"),
            ApplyMigrations: values.GetValueOrDefault("--no-migrate") is not ("1" or "true"),
            Role: values.TryGetValue("--role", out var role) ? SiloCompute.ParseRole(role) : SiloRole.Both,
            IdleExitMinutes: Number(values, "--idle-exit", local ? LocalIdleMinutes : 0),
            Local: local).Validated();
    }

    /// <summary>How long the local silo waits, idle, before it stops.</summary>
    public const int LocalIdleMinutes = 15;

    static int Number(Dictionary<string, string> values, string flag, int fallback) =>
        !values.TryGetValue(flag, out var text) ? fallback
        : int.TryParse(text, out var n) ? n
        : throw new ArgumentException($"{flag} must be a whole number, got '{text}'");

    static int Port(Dictionary<string, string> values, string flag, int fallback) =>
        !values.TryGetValue(flag, out var text) ? fallback
        : int.TryParse(text, out var port) ? port
        : throw new ArgumentException($"{flag} must be a port number, got '{text}'");

    static IPAddress Address(string text) =>
        IPAddress.TryParse(text, out var ip) ? ip : throw new ArgumentException($"--address must be an IP address, got '{text}'");
}
