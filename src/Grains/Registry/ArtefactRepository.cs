using MMInterp.Kernels.Artefacts;
using Npgsql;

namespace MMInterp.Grains.Registry;

[GenerateSerializer, Immutable]
public sealed record ArtefactRecord(string Sha256, long Size, string Kind, DateTimeOffset CreatedAt)
{
    public ArtefactRef ToRef() => new(Sha256, Size, new ArtefactKind(Kind));
}

/// <summary>The registry's list of what the artefact store holds; rows elsewhere point here by sha256.</summary>
public sealed class ArtefactRepository
{
    const string Columns = "sha256, size, kind, created_at";
    readonly RegistryDb _db;

    internal ArtefactRepository(RegistryDb db) => _db = db;

    /// <summary>
    /// Records a stored artefact; recording the same content again is a no-op (it is content-addressed).
    /// A second record with the same hash but another size means someone computed a hash wrongly, and is refused.
    /// </summary>
    public async Task<ArtefactRecord> RecordAsync(ArtefactRef artefact, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(artefact);
        // Two statements, not one: under read committed the SELECT then sees a row another writer inserted
        // concurrently, which a single INSERT ... ON CONFLICT statement's snapshot would not.
        await _db.ExecuteAsync("INSERT INTO artefacts (sha256, size, kind) VALUES ($1, $2, $3) ON CONFLICT (sha256) DO NOTHING",
            ct, artefact.Sha256, artefact.Size, artefact.Kind.Name);
        var rows = await _db.QueryAsync($"SELECT {Columns} FROM artefacts WHERE sha256 = $1", Map, ct, artefact.Sha256);
        var row = rows.Single();
        if (row.Size != artefact.Size)
            throw new RegistryConflictException($"artefact {artefact.Sha256} is recorded with size {row.Size}, not {artefact.Size}");
        return row;
    }

    public Task<ArtefactRecord?> GetAsync(string sha256, CancellationToken ct = default) =>
        _db.QuerySingleAsync($"SELECT {Columns} FROM artefacts WHERE sha256 = $1", Map, ct, ArtefactHash.Validate(sha256));

    /// <summary>Newest first; optionally one kind only.</summary>
    public Task<List<ArtefactRecord>> ListAsync(string? kind = null, int limit = 100, CancellationToken ct = default) =>
        _db.QueryAsync($"""
            SELECT {Columns} FROM artefacts WHERE ($1::text IS NULL OR kind = $1)
            ORDER BY created_at DESC, sha256 LIMIT $2
            """, Map, ct, RegistryDb.Text(kind), RegistryLimits.Check(limit));

    static ArtefactRecord Map(NpgsqlDataReader r) => new(r.GetString(0), r.GetInt64(1), r.GetString(2), r.Time(3));
}
