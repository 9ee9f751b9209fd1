using MMInterp.Grains.Contracts;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace MMInterp.Integration.Tests.Cluster;

/// <summary>Grain state written through the ADO.NET storage outlives the silo that wrote it.</summary>
public sealed class SiloLossTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task StateIsReadBackAfterTheHostingSiloGoes(bool kill)
    {
        await using var c = await PostgresTestCluster.StartAsync(3);
        var counter = c.Client.GetGrain<ICounterGrain>($"survivor-{kill}");
        await counter.Add(40);
        var before = await counter.Add(2);
        var host = c.SiloOf(before.Silo);

        if (kill) await c.Cluster.KillSiloAsync(host);
        else await c.Cluster.StopSiloAsync(host);

        // After a kill, calls fail until the survivors vote the silo dead; then the grain reactivates elsewhere.
        var after = await EventuallyAsync(() => counter.Read(), TimeSpan.FromSeconds(60));
        Assert.Equal(42, after.Value);
        Assert.NotEqual(before.Silo, after.Silo);
        Assert.Equal(43, (await counter.Add(1)).Value);

        // The departed silo is a Dead row; the provider's defunct-entry cleanup removes it through our SQL.
        var clusterId = c.Cluster.Options.ClusterId;
        const string dead = "SELECT count(*) FROM OrleansMembershipTable WHERE DeploymentId = $1 AND Status = 6";
        Assert.Equal(1L, await c.ScalarAsync<long>(dead, clusterId));
        await c.SiloServices().GetRequiredService<IMembershipTable>().CleanupDefunctSiloEntriesAsync(DateTimeOffset.UtcNow.AddMinutes(1), CancellationToken.None);
        Assert.Equal(0L, await c.ScalarAsync<long>(dead, clusterId));
        Assert.Equal(2L, await c.ScalarAsync<long>("SELECT count(*) FROM OrleansMembershipTable WHERE DeploymentId = $1 AND Status = 3", clusterId));
    }

    static async Task<T> EventuallyAsync<T>(Func<Task<T>> call, TimeSpan limit)
    {
        var deadline = DateTime.UtcNow + limit;
        while (true)
        {
            try { return await call(); }
            catch (Exception) when (DateTime.UtcNow < deadline) { await Task.Delay(500); }
        }
    }
}
