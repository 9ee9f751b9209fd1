using MMInterp.Grains.Registry;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Xunit;

namespace MMInterp.Grains.Tests.Registry;

[Collection(RegistryCollection.Name)]
public class ConnectionErrorTests(RegistryDatabase db)
{
    [Theory]
    [InlineData("")]
    [InlineData("Host=127.0.0.1;Bogus Key=3")]
    [InlineData("Port=5432;Username=x")]
    public void AMalformedConnectionStringIsNamedAtOnce(string cs)
    {
        var e = Assert.Throws<ArgumentException>(() => RegistryStore.Create(cs));
        Assert.Contains("connection string", e.Message);
    }

    [Fact]
    public async Task TheStoresResolveFromDependencyInjection()
    {
        var root = Path.Combine(Path.GetTempPath(), $"mminterp-di-{Guid.NewGuid():N}");
        await using var services = new ServiceCollection()
            .AddRegistryStore(db.ConnectionString).AddArtefactStore(root).BuildServiceProvider();
        try
        {
            var registry = services.GetRequiredService<RegistryStore>();
            await registry.CheckAsync();
            var artefacts = services.GetRequiredService<Kernels.Artefacts.ArtefactStore>();
            Assert.Equal(root, artefacts.Root);
            Assert.Throws<ArgumentException>(() => new ServiceCollection().AddRegistryStore("Host=x;Nonsense=1"));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public async Task AnUnreachableServerGivesOneClearLine()
    {
        await using var store = RegistryStore.Create("Host=127.0.0.1;Port=1;Username=nobody;Database=none;Timeout=3");
        var e = await Assert.ThrowsAsync<RegistryUnavailableException>(() => store.Runs.GetAsync("run-x"));
        Assert.StartsWith("cannot connect to PostgreSQL at 127.0.0.1:1 (database 'none', user 'nobody'):", e.Message);
        Assert.DoesNotContain("\n", e.Message);
    }

    [Fact]
    public async Task AMissingDatabaseIsNamed()
    {
        var cs = new NpgsqlConnectionStringBuilder(db.ConnectionString) { Database = "no_such_db" }.ConnectionString;
        await using var store = RegistryStore.Create(cs);
        var e = await Assert.ThrowsAsync<RegistryUnavailableException>(() => store.CheckAsync());
        Assert.Contains("no_such_db", e.Message);
    }

    [Fact]
    public async Task ADatabaseWithoutTheSchemaSaysSo()
    {
        // The server's maintenance database exists but was never migrated.
        var cs = new NpgsqlConnectionStringBuilder(db.ConnectionString) { Database = "postgres" }.ConnectionString;
        await using var store = RegistryStore.Create(cs);
        var check = await Assert.ThrowsAsync<RegistryUnavailableException>(() => store.CheckAsync());
        Assert.Contains("schema is missing", check.Message);
        var query = await Assert.ThrowsAsync<RegistryUnavailableException>(() => store.Models.ListAsync());
        Assert.Contains("apply the migrations", query.Message);
        await db.Store.CheckAsync(); // the migrated one passes
    }
}
