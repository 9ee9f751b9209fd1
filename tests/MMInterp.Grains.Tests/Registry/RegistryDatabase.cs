using System.Security.Cryptography;
using MMInterp.Grains.Registry;
using MMInterp.Silo.Storage;
using Npgsql;
using Xunit;

namespace MMInterp.Grains.Tests.Registry;

/// <summary>One throwaway PostgreSQL with the migrations applied, shared by every registry test class.</summary>
public sealed class RegistryDatabase : IAsyncLifetime
{
    LocalPostgres? _pg;

    public string ConnectionString => _pg!.ConnectionString;
    public RegistryStore Store { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        _pg = await LocalPostgres.StartThrowawayAsync();
        await Migrations.ApplyAsync(_pg.ConnectionString);
        Store = RegistryStore.Create(_pg.ConnectionString);
    }

    public async Task DisposeAsync()
    {
        if (Store is not null) await Store.DisposeAsync();
        if (_pg is not null) await _pg.DisposeAsync();
    }

    /// <summary>Runs raw SQL for assertions the API deliberately does not offer (direct deletes, peeking at hashes).</summary>
    public async Task<object?> ScalarAsync(string sql, params object[] args)
    {
        await using var conn = new NpgsqlConnection(ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        foreach (var a in args) cmd.Parameters.Add(new NpgsqlParameter { Value = a });
        return await cmd.ExecuteScalarAsync();
    }

    /// <summary>A distinct fake artefact (registered), for rows that must point at one.</summary>
    public async Task<string> ArtefactAsync(string kind = "safetensors")
    {
        var bytes = RandomNumberGenerator.GetBytes(32);
        var sha = Convert.ToHexStringLower(SHA256.HashData(bytes));
        await Store.Artefacts.RecordAsync(new Kernels.Artefacts.ArtefactRef(sha, bytes.Length, new Kernels.Artefacts.ArtefactKind(kind)));
        return sha;
    }

    public async Task<ModelRecord> ModelAsync(ModelFamily family = ModelFamily.Clip) =>
        await Store.Models.RegisterAsync(new NewModel($"m-{Guid.NewGuid():N}", family, """{"d_model": 64}""", await ArtefactAsync()));
}

[CollectionDefinition(Name)]
public sealed class RegistryCollection : ICollectionFixture<RegistryDatabase>
{
    public const string Name = "registry-postgres";
}
