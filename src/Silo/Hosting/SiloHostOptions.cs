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
/// <param name="IdleExitMinutes">Stop after this many minutes with no client connected and no device slot leased (0 = never);
/// the machine's local silo (<c>--local</c>) uses it so it does not outlive its use.</param>
/// <param name="Local">The machine's local silo that CLI and `serve` processes connect to: its cluster id is used
/// once, so its membership rows are deleted when it stops.</param>
public sealed record SiloHostOptions(
    string ConnectionString,
    string ClusterId = SiloHostOptions.DefaultClusterId,
    string ServiceId = SiloHostOptions.DefaultServiceId,
    int SiloPort = SiloHostOptions.DefaultSiloPort,
    int GatewayPort = SiloHostOptions.DefaultGatewayPort,
    IPAddress? AdvertisedAddress = null,
    string? SiloName = null,
    bool ApplyMigrations = true,
    SiloRole Role = SiloRole.Both,
    int IdleExitMinutes = 0,
    bool Local = false)
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
        if (IdleExitMinutes is < 0 or > 10_080) throw new ArgumentException($"idle exit must be 0-10080 minutes (0 = never), got {IdleExitMinutes}");
        return this;
    }

    static void RequireId(string value, string what)
    {
        if (string.IsNullOrWhiteSpace(value) || value.Length > 150 || !value.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
            throw new ArgumentException($"{what} must be 1-150 letters, digits, '-', '_' or '.', got '{value}'");
    }
}
