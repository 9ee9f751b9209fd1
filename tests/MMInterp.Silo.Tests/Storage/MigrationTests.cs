using MMInterp.Silo.Storage;
using Npgsql;
using Xunit;

namespace MMInterp.Silo.Tests.Storage;

/// <summary>Schema migrations against a real, throwaway PostgreSQL.</summary>
public class MigrationTests
{
    [Fact]
    public async Task ApplyingTwiceIsANoOpAndKeepsData()
    {
        await using var pg = await LocalPostgres.StartThrowawayAsync();
        var first = await Migrations.ApplyAsync(pg.ConnectionString);
        Assert.Equal(Migrations.Embedded().Select(m => m.Name), first);
        Assert.NotEmpty(first);

        await using (var conn = await PostgresConnections.OpenAsync(pg.ConnectionString))
        await using (var insert = new NpgsqlCommand("INSERT INTO platform_starts(host, role, version) VALUES ('h', 'test', '1')", conn))
            await insert.ExecuteNonQueryAsync();

        var second = await Migrations.ApplyAsync(pg.ConnectionString);
        Assert.Empty(second);

        await using var check = await PostgresConnections.OpenAsync(pg.ConnectionString);
        await using var count = new NpgsqlCommand("SELECT (SELECT count(*) FROM platform_starts), (SELECT count(*) FROM schema_migrations)", check);
        await using var r = await count.ExecuteReaderAsync();
        Assert.True(await r.ReadAsync());
        Assert.Equal(1L, r.GetInt64(0));
        Assert.Equal(first.Count, (int)r.GetInt64(1));
    }

    [Fact]
    public async Task ConcurrentAppliersApplyEachMigrationOnce()
    {
        await using var pg = await LocalPostgres.StartThrowawayAsync();
        var results = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => Migrations.ApplyAsync(pg.ConnectionString)));
        Assert.Equal(Migrations.Embedded().Count, results.Sum(r => r.Count));
    }

    [Fact]
    public async Task UnreachableServerGivesOneClearLine()
    {
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            Migrations.ApplyAsync("Host=127.0.0.1;Port=1;Username=nobody;Database=none;Timeout=3"));
        Assert.Contains("cannot connect to PostgreSQL at 127.0.0.1:1", e.Message);
        Assert.DoesNotContain("\n", e.Message);
    }

    [Theory]
    [InlineData("")]
    [InlineData("Host=127.0.0.1;Bogus Key=3")]
    [InlineData("Port=5432;Username=x")]
    public async Task MalformedConnectionStringIsNamed(string cs)
    {
        var e = await Assert.ThrowsAsync<ArgumentException>(() => Migrations.ApplyAsync(cs));
        Assert.Contains("connection string", e.Message);
    }
}
