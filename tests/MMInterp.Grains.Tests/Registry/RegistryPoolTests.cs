using MMInterp.Grains.Contracts;
using MMInterp.Grains.Registry;
using Npgsql;
using Xunit;

namespace MMInterp.Grains.Tests.Registry;

/// <summary>The registry's pool is bounded unless the connection string says otherwise, and a failed token check
/// leaves the token's row as it was.</summary>
[Collection(RegistryCollection.Name)]
public class RegistryPoolTests(RegistryDatabase db)
{
    [Theory]
    [InlineData("Host=127.0.0.1;Username=x", RegistryStore.DefaultMaxPoolSize, 30)]
    [InlineData("Host=127.0.0.1;Username=x;Maximum Pool Size=5", 5, 30)]
    [InlineData("Host=127.0.0.1;Username=x;maximum pool size=100;connection idle lifetime=300", 100, 300)]
    public async Task ThePoolIsBoundedUnlessTheConnectionStringSetsIt(string cs, int maxPool, int idleSeconds)
    {
        await using var store = RegistryStore.Create(cs);
        Assert.Equal((maxPool, idleSeconds), (store.PoolSettings.MaxPoolSize, store.PoolSettings.ConnectionIdleLifetime));
    }

    [Fact]
    public async Task AWrongSecretDoesNotMarkTheTokenUsed()
    {
        var user = (await db.Store.Tokens.EnsureUserAsync($"u{Guid.NewGuid():N}")).Id;
        var created = await db.Store.Tokens.CreateAsync(user, [TokenScope.Read]);
        async Task<object?> LastUsed()
        {
            await using var conn = new NpgsqlConnection(db.ConnectionString);
            await conn.OpenAsync();
            await using var cmd = new NpgsqlCommand("SELECT last_used_at FROM api_tokens WHERE id = $1", conn) { Parameters = { new() { Value = created.TokenId } } };
            return await cmd.ExecuteScalarAsync();
        }
        Assert.Null(await db.Store.Tokens.VerifyAsync(created.Token[..^1] + (created.Token[^1] == 'A' ? 'B' : 'A')));
        Assert.Equal(DBNull.Value, await LastUsed());
        Assert.NotNull(await db.Store.Tokens.VerifyAsync(created.Token));
        Assert.IsType<DateTime>(await LastUsed());
    }
}
