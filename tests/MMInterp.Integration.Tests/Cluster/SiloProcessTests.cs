using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using MMInterp.Grains.Contracts;
using MMInterp.Silo.Hosting;
using MMInterp.Silo.Storage;
using Npgsql;
using Orleans.Configuration;
using Xunit;

namespace MMInterp.Integration.Tests.Cluster;

/// <summary>Two separate `mminterp-silo` processes with distinct ports form one cluster through Postgres.</summary>
public sealed class SiloProcessTests
{
    const string ClusterId = "two-processes";

    [Fact]
    public async Task TwoSiloProcessesJoinOneClusterAndServeAClient()
    {
        await using var pg = await LocalPostgres.StartThrowawayAsync();
        // Both processes migrate the empty database at once: the advisory lock must serialise them.
        await using var a = SiloProcess.Start(Args(pg, "proc-a"));
        await using var b = SiloProcess.Start(Args(pg, "proc-b"));
        await Task.WhenAll(a.WaitUpAsync(TimeSpan.FromSeconds(90)), b.WaitUpAsync(TimeSpan.FromSeconds(90)));

        Assert.Equal(2L, await CountAsync(pg, 3));

        // An external client finds both gateways in the same table and sees one cluster.
        using var client = await StartClientAsync(pg.ConnectionString);
        var grains = client.Services.GetRequiredService<IClusterClient>();
        Assert.Equal(2, (await grains.GetGrain<IManagementGrain>(0).GetHosts(onlyActive: true)).Count);
        Assert.Equal(5, (await grains.GetGrain<ICounterGrain>("across-processes").Add(5)).Value);
        await client.StopAsync();

        Assert.Equal(0, await a.TerminateAsync(TimeSpan.FromSeconds(60)));
        Assert.Equal(0, await b.TerminateAsync(TimeSpan.FromSeconds(60)));
        Assert.Equal(2L, await CountAsync(pg, 6)); // both left gracefully: marked Dead, not vanished
    }

    static string[] Args(LocalPostgres pg, string name)
    {
        var silo = FreePorts.Next();
        var gateway = FreePorts.Next();
        return ["--db", pg.ConnectionString, "--cluster-id", ClusterId, "--silo-port", $"{silo}", "--gateway-port", $"{gateway}", "--name", name];
    }

    static async Task<IHost> StartClientAsync(string connectionString)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.UseOrleansClient(c =>
        {
            c.Configure<ClusterOptions>(o => { o.ClusterId = ClusterId; o.ServiceId = SiloHostOptions.DefaultServiceId; });
            c.UseMMInterpPostgres(connectionString);
        });
        var host = builder.Build();
        await host.StartAsync();
        return host;
    }

    static async Task<long> CountAsync(LocalPostgres pg, int status)
    {
        await using var conn = await PostgresConnections.OpenAsync(pg.ConnectionString);
        await using var cmd = new NpgsqlCommand("SELECT count(*) FROM OrleansMembershipTable WHERE DeploymentId = $1 AND Status = $2", conn)
        { Parameters = { new() { Value = ClusterId }, new() { Value = status } } };
        return (long)(await cmd.ExecuteScalarAsync())!;
    }
}
