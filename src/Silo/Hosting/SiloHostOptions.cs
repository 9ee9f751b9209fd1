using System.Net;
using MMInterp.Grains.Placement;
using MMInterp.Silo.Storage;

namespace MMInterp.Silo.Hosting;

/// <summary>Everything a silo process needs to join a cluster on PostgreSQL. Validated before anything starts.</summary>
/// <param name="ConnectionString">Npgsql connection string of the cluster database (membership, grain state, reminders).</param>
/// <param name="ClusterId">Silos with the same ClusterId and database form one cluster.</param>
/// <param name="ServiceId">Stable across cluster restarts; grain state and reminders are keyed by it.</param>
/// <param name="SiloPort">Silo-to-silo port; distinct per silo on one machine.</param>
/// <param name="GatewayPort">Client gateway port; distinct per silo on one machine; 0 = no gateway.</param>
/// <param name="AdvertisedAddress">Address other silos dial; loopback for a single-machine cluster.</param>
/// <param name="SiloName">Shown in membership and telemetry; defaults to host:port.</param>
/// <param name="ApplyMigrations">Apply pending schema migrations before starting (serialised by an advisory lock).</param>
/// <param name="Role">Advertised to placement: accelerator, control, or both (a single-silo cluster).</param>
public sealed record SiloHostOptions(
    string ConnectionString,
    string ClusterId = SiloHostOptions.DefaultClusterId,
    string ServiceId = SiloHostOptions.DefaultServiceId,
    int SiloPort = SiloHostOptions.DefaultSiloPort,
    int GatewayPort = SiloHostOptions.DefaultGatewayPort,
    IPAddress? AdvertisedAddress = null,
    string? SiloName = null,
    bool ApplyMigrations = true,
    SiloRole Role = SiloRole.Both)
{
    public const string DefaultClusterId = "mminterp";
    public const string DefaultServiceId = "mminterp";
    public const int DefaultSiloPort = 11111;
    public const int DefaultGatewayPort = 30000;

    public IPAddress Address => AdvertisedAddress ?? IPAddress.Loopback;
    public string Name => string.IsNullOrWhiteSpace(SiloName) ? $"{Environment.MachineName}:{SiloPort}" : SiloName;

    /// <summary>Throws ArgumentException naming the first bad field.</summary>
    public SiloHostOptions Validated()
    {
        PostgresConnections.Parse(ConnectionString);
        RequireId(ClusterId, "cluster id");
        RequireId(ServiceId, "service id");
        if (SiloPort is < 1 or > 65535) throw new ArgumentException($"silo port must be 1-65535, got {SiloPort}");
        if (GatewayPort is < 0 or > 65535) throw new ArgumentException($"gateway port must be 0-65535 (0 = no gateway), got {GatewayPort}");
        if (GatewayPort == SiloPort) throw new ArgumentException($"silo port and gateway port are both {SiloPort}; they must differ");
        return this;
    }

    /// <summary>An in-process silo for the CLI's embedded default: a cluster of its own on free loopback ports.</summary>
    /// <remarks>
    /// A fresh ClusterId per process keeps concurrent CLI calls from joining each other (and waiting on each
    /// other's departure); the fixed ServiceId keeps grain state and reminders shared across calls.
    /// </remarks>
    public static SiloHostOptions Embedded(string connectionString, string serviceId = DefaultServiceId)
    {
        var siloPort = FreePorts.Next();
        var gatewayPort = FreePorts.Next();
        while (gatewayPort == siloPort) gatewayPort = FreePorts.Next();
        return new SiloHostOptions(
            connectionString,
            ClusterId: $"embedded-{Guid.NewGuid():N}",
            ServiceId: serviceId,
            SiloPort: siloPort,
            GatewayPort: gatewayPort,
            AdvertisedAddress: IPAddress.Loopback,
            SiloName: $"embedded-{Environment.ProcessId}");
    }

    static void RequireId(string value, string what)
    {
        if (string.IsNullOrWhiteSpace(value) || value.Length > 150 || !value.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
            throw new ArgumentException($"{what} must be 1-150 letters, digits, '-', '_' or '.', got '{value}'");
    }
}
