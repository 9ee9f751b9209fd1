using Microsoft.Extensions.Configuration;
using MMInterp.Silo.Hosting;
using MMInterp.Silo.Storage;
using Npgsql;
using Orleans.Configuration;
using Orleans.TestingHost;

namespace MMInterp.Integration.Tests.Cluster;

/// <summary>
/// Several real silos (Orleans TestCluster, TCP sockets, no test membership) whose clustering, grain state and
/// reminders all go through the project's ADO.NET schema in a throwaway PostgreSQL.
/// </summary>
public sealed class PostgresTestCluster : IAsyncDisposable
{
    const string DbKey = "MMInterpTestDb";

    /// <summary>An extra storage with DeleteStateOnClear, so the provider's delete query runs too.</summary>
    public const string DeletingStorage = "delete-on-clear";

    public required LocalPostgres Postgres { get; init; }
    public required TestCluster Cluster { get; init; }
    public IClusterClient Client => Cluster.Client;

    public static async Task<PostgresTestCluster> StartAsync(short silos)
    {
        var pg = await LocalPostgres.StartThrowawayAsync();
        try
        {
            await Migrations.ApplyAsync(pg.ConnectionString);
            var builder = new TestClusterBuilder(silos);
            builder.Options.UseTestClusterMembership = false;
            builder.Options.ConnectionTransport = ConnectionTransportType.TcpSocket;
            builder.Properties[DbKey] = pg.ConnectionString;
            builder.AddSiloBuilderConfigurator<SiloConfigurator>();
            builder.AddClientBuilderConfigurator<ClientConfigurator>();
            var cluster = builder.Build();
            await cluster.DeployAsync();
            return new PostgresTestCluster { Postgres = pg, Cluster = cluster };
        }
        catch
        {
            await pg.DisposeAsync();
            throw;
        }
    }

    /// <summary>A running silo's services, for calling the ADO.NET providers directly.</summary>
    public IServiceProvider SiloServices(int index = 0) => ((InProcessSiloHandle)Cluster.GetActiveSilos().ElementAt(index)).ServiceProvider;

    /// <summary>The silo whose address a grain reported (RuntimeIdentity), among the running ones.</summary>
    public SiloHandle SiloOf(string runtimeIdentity) =>
        Cluster.GetActiveSilos().Single(s => runtimeIdentity.Contains($":{s.SiloAddress.Endpoint.Port}:", StringComparison.Ordinal));

    public async Task<T> ScalarAsync<T>(string sql, params object[] args)
    {
        await using var conn = await PostgresConnections.OpenAsync(Postgres.ConnectionString);
        await using var cmd = new NpgsqlCommand(sql, conn);
        foreach (var a in args) cmd.Parameters.Add(new NpgsqlParameter { Value = a });
        return (T)(await cmd.ExecuteScalarAsync())!;
    }

    public async ValueTask DisposeAsync()
    {
        try { await Cluster.StopAllSilosAsync(); } catch (Exception) { /* a killed silo may refuse a second stop */ }
        await Cluster.DisposeAsync();
        await Postgres.DisposeAsync();
    }

    sealed class SiloConfigurator : ISiloConfigurator
    {
        public void Configure(ISiloBuilder silo)
        {
            var db = silo.Configuration[DbKey]!;
            silo.UseMMInterpPostgres(db);
            silo.AddAdoNetGrainStorage(DeletingStorage, ob =>
            {
                PostgresProviders.Configure(ob, db);
                ob.Configure(o => o.DeleteStateOnClear = true);
            });
            silo.UseMMInterpTracing();
            // Short periods so reminder and failure-detection tests finish in seconds, not minutes.
            silo.Configure<ReminderOptions>(o => o.MinimumReminderPeriod = TimeSpan.FromSeconds(1));
            silo.Configure<ClusterMembershipOptions>(o =>
            {
                o.ProbeTimeout = TimeSpan.FromSeconds(1);
                o.NumMissedProbesLimit = 2;
                o.TableRefreshTimeout = TimeSpan.FromSeconds(2);
                o.IAmAliveTablePublishTimeout = TimeSpan.FromSeconds(5);
            });
            silo.Configure<SiloMessagingOptions>(o => o.ResponseTimeout = TimeSpan.FromSeconds(10));
        }
    }

    sealed class ClientConfigurator : IClientBuilderConfigurator
    {
        public void Configure(IConfiguration configuration, IClientBuilder client)
        {
            client.UseMMInterpPostgres(configuration[DbKey]!);
            client.AddActivityPropagation();
            client.Configure<ClientMessagingOptions>(o => o.ResponseTimeout = TimeSpan.FromSeconds(10));
            client.Configure<GatewayOptions>(o => o.GatewayListRefreshPeriod = TimeSpan.FromSeconds(1));
        }
    }
}
