using MMInterp.Grains.Contracts;
using MMInterp.Silo.Hosting;
using Microsoft.Extensions.DependencyInjection;
using MMInterp.Silo.Storage;
using MMInterp.Silo.Work;
using Npgsql;
using Xunit;

namespace MMInterp.Silo.Tests.Hosting;

/// <summary>One throwaway server for the class; tests use their own cluster ids, grain keys and databases.</summary>
public sealed class SharedPostgres : IAsyncLifetime
{
    public LocalPostgres Server { get; private set; } = null!;
    public async Task InitializeAsync() => Server = await LocalPostgres.StartThrowawayAsync();
    public async Task DisposeAsync() => await Server.DisposeAsync();

    /// <summary>A new, empty database on the shared server.</summary>
    public async Task<string> CreateDatabaseAsync(string name)
    {
        await using (var conn = await PostgresConnections.OpenAsync(Server.ConnectionString))
        await using (var cmd = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", conn))
            await cmd.ExecuteNonQueryAsync();
        return new NpgsqlConnectionStringBuilder(Server.ConnectionString) { Database = name }.ConnectionString;
    }
}

/// <summary>Starting silos through <see cref="MMInterpSiloHost"/> against a real, throwaway PostgreSQL.</summary>
public class SiloStartTests(SharedPostgres shared) : IClassFixture<SharedPostgres>
{
    readonly LocalPostgres _pg = shared.Server;

    [Theory]
    [InlineData("Host=127.0.0.1;Port=1;Username=nobody;Database=none;Timeout=3", "cannot connect to PostgreSQL at 127.0.0.1:1")]
    [InlineData("Host=127.0.0.1;Bogus Key=3", "connection string is malformed")]
    [InlineData("", "connection string is empty")]
    public async Task BadConnectionStringIsOneClearLine(string connectionString, string expected)
    {
        var e = await Assert.ThrowsAsync<SiloStartException>(() => MMInterpSiloHost.StartAsync(new SiloHostOptions(connectionString)));
        Assert.Contains(expected, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public async Task MissingDatabaseAndMissingSchemaAreNamed()
    {
        var wrongDb = new NpgsqlConnectionStringBuilder(_pg.ConnectionString) { Database = "no_such_db" }.ConnectionString;
        var e = await Assert.ThrowsAsync<SiloStartException>(() => MMInterpSiloHost.StartAsync(new SiloHostOptions(wrongDb)));
        Assert.Contains("\"no_such_db\" does not exist", e.Message);

        var noSchema = new SiloHostOptions(await shared.CreateDatabaseAsync("empty"), ApplyMigrations: false);
        e = await Assert.ThrowsAsync<SiloStartException>(() => MMInterpSiloHost.StartAsync(noSchema));
        Assert.Contains("has no Orleans schema", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public async Task TwoHostedSilosFormOneClusterAndShareState()
    {
        var a = Options(_pg, "alpha");
        var b = Options(_pg, "beta");
        await using var siloA = await MMInterpSiloHost.StartAsync(a);
        await using var siloB = await MMInterpSiloHost.StartAsync(b);

        // A third silo on alpha's port must fail, not evict alpha as its "older incarnation".
        var clash = await Assert.ThrowsAsync<SiloStartException>(() => MMInterpSiloHost.StartAsync(b with { SiloPort = a.SiloPort, GatewayPort = FreePorts.Next(), SiloName = "clash" }));
        Assert.Contains($"silo port {a.SiloPort}", clash.Message);
        Assert.Contains("already in use", clash.Message);

        var hosts = await siloB.Grains.GetGrain<IManagementGrain>(0).GetHosts(onlyActive: true);
        Assert.Equal(2, hosts.Count);

        await siloA.Grains.GetGrain<ICounterGrain>("shared").Add(3);
        Assert.Equal(3, (await siloB.Grains.GetGrain<ICounterGrain>("shared").Read()).Value);

        // Stopping the silo that hosts the grain: the other silo reactivates it from Postgres.
        var where = (await siloB.Grains.GetGrain<ICounterGrain>("shared").Read()).Silo;
        var (gone, stays) = where.Contains($":{a.SiloPort}:") ? (siloA, siloB) : (siloB, siloA);
        await gone.StopAsync();
        var after = await stays.Grains.GetGrain<ICounterGrain>("shared").Read();
        Assert.Equal(3, after.Value);
        Assert.Contains($":{stays.Options.SiloPort}:", after.Silo);
    }

    [Fact]
    public async Task LocalSiloServesGrainsAndLeavesNoMembershipRows()
    {
        var local = Options(_pg, "local") with { ClusterId = "local-test-1", Local = true };
        await using (var silo = await MMInterpSiloHost.StartAsync(local))
        {
            Assert.NotNull(silo.Services.GetService<WorkOptions>()); // job grains' services are registered
            Assert.Equal(1, (await silo.Client.GetGrain<ICounterGrain>("local").Add(1)).Value);
            Assert.Equal(1L, await CountMembers(_pg, local.ClusterId));
        }
        Assert.Equal(0L, await CountMembers(_pg, local.ClusterId));

        // State persists across local silos (same service id, a new one-use cluster id each).
        await using var again = await MMInterpSiloHost.StartAsync(Options(_pg, "local") with { ClusterId = "local-test-2", Local = true });
        Assert.Equal(2, (await again.Client.GetGrain<ICounterGrain>("local").Add(1)).Value);
    }

    static SiloHostOptions Options(LocalPostgres pg, string name)
    {
        var siloPort = FreePorts.Next();
        var gatewayPort = FreePorts.Next();
        return new SiloHostOptions(pg.ConnectionString, ClusterId: "hosted", SiloPort: siloPort, GatewayPort: gatewayPort, SiloName: name);
    }

    static async Task<long> CountMembers(LocalPostgres pg, string clusterId)
    {
        await using var conn = await PostgresConnections.OpenAsync(pg.ConnectionString);
        await using var cmd = new NpgsqlCommand("SELECT count(*) FROM OrleansMembershipTable WHERE DeploymentId = $1", conn) { Parameters = { new() { Value = clusterId } } };
        return (long)(await cmd.ExecuteScalarAsync())!;
    }
}
