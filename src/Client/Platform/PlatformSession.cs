using MMInterp.Grains.Registry;
using MMInterp.Kernels.Artefacts;
using MMInterp.Silo.Hosting;
using MMInterp.Silo.Storage;
using MMInterp.Silo.Work;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Configuration;

namespace MMInterp.Client.Platform;

/// <summary>
/// What one CLI command talks to. The database is --db / MMINTERP_DB when given, otherwise the embedded default: a
/// project-owned PostgreSQL (started when not running, left running for the next command). The cluster is, with
/// MMINTERP_CLUSTER=external, the silos registered in that database; otherwise the machine's local silo for that
/// database, which every command and `serve` process shares (started on demand, <see cref="LocalSilo"/>). Either
/// way this process is an Orleans client, so one job runs once however many processes start or follow it.
/// </summary>
public sealed class PlatformSession : IAsyncDisposable
{
    public const string DatabaseVariable = "MMINTERP_DB";
    public const string ClusterVariable = "MMINTERP_CLUSTER";

    IHost? _clientHost;

    PlatformSession(string connectionString, RegistryStore registry, ArtefactStore artefacts, WorkOptions work)
    {
        ConnectionString = connectionString;
        Registry = registry;
        Artefacts = artefacts;
        Work = work;
        Models = new ModelDirectories(registry, new ArtefactCache(artefacts, work));
    }

    public string ConnectionString { get; }
    public RegistryStore Registry { get; }
    public ArtefactStore Artefacts { get; }
    public WorkOptions Work { get; }
    /// <summary>Registered models as local directories, in the cache layout silos use (<see cref="ModelDirectories"/>).</summary>
    public ModelDirectories Models { get; }
    public bool External => string.Equals(Environment.GetEnvironmentVariable(ClusterVariable), "external", StringComparison.OrdinalIgnoreCase);

    /// <summary>Opens the database (starting the embedded one if needed) and makes sure the schema is current.</summary>
    public static async Task<PlatformSession> OpenAsync(string? database, CancellationToken ct)
    {
        var cs = await ResolveDatabaseAsync(database, ct);
        await Migrations.ApplyAsync(cs, ct);
        var work = WorkOptions.FromEnvironment();
        var registry = RegistryStore.Create(cs);
        await registry.CheckAsync(ct);
        return new PlatformSession(cs, registry, new ArtefactStore(work.ArtefactRoot), work);
    }

    public static async Task<string> ResolveDatabaseAsync(string? database, CancellationToken ct)
    {
        if (!string.IsNullOrWhiteSpace(database)) return database;
        var fromEnv = Environment.GetEnvironmentVariable(DatabaseVariable);
        if (!string.IsNullOrWhiteSpace(fromEnv)) return fromEnv;
        var pg = await LocalPostgres.StartAsync(LocalPostgresOptions.EmbeddedDefault(), ct);
        return pg.ConnectionString;
    }

    /// <summary>The cluster, as an Orleans client: of the silos registered in the database for MMINTERP_CLUSTER=external,
    /// else of the machine's local silo for this database (<see cref="LocalSilo"/>, started when none runs).</summary>
    public async Task<IClusterClient> ClusterAsync(CancellationToken ct)
    {
        if (_clientHost is not null) return _clientHost.Services.GetRequiredService<IClusterClient>();
        if (External)
        {
            var clusterId = Environment.GetEnvironmentVariable("MMINTERP_CLUSTER_ID") is { Length: > 0 } id ? id : SiloHostOptions.DefaultClusterId;
            return await ConnectAsync(clusterId, $"cluster '{clusterId}' through {DatabaseVariable}", ct);
        }
        var local = await LocalSilo.EnsureAsync(WorkOptions.HomeFromEnvironment(), ConnectionString, ct);
        return await ConnectAsync(local.ClusterId, $"the local silo (log: {local.Log})", ct);
    }

    async Task<IClusterClient> ConnectAsync(string clusterId, string what, CancellationToken ct)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.UseOrleansClient(client =>
        {
            var serviceId = Environment.GetEnvironmentVariable("MMINTERP_SERVICE_ID") is { Length: > 0 } sid ? sid : SiloHostOptions.DefaultServiceId;
            client.Configure<ClusterOptions>(o => { o.ClusterId = clusterId; o.ServiceId = serviceId; });
            client.UseMMInterpPostgres(ConnectionString);
            // Carries the command's trace context into the grains it calls.
            client.AddActivityPropagation();
        });
        _clientHost = builder.Build();
        try
        {
            await _clientHost.StartAsync(ct);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw new InvalidOperationException($"cannot reach {what}: {e.Message}", e);
        }
        return _clientHost.Services.GetRequiredService<IClusterClient>();
    }

    public async ValueTask DisposeAsync()
    {
        if (_clientHost is not null)
        {
            await _clientHost.StopAsync();
            _clientHost.Dispose();
        }
        await Registry.DisposeAsync();
    }
}
