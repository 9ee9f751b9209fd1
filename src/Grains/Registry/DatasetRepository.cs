using MMInterp.Grains.Contracts;
using Npgsql;

namespace MMInterp.Grains.Registry;

/// <summary>Registered user image datasets, keyed by a content-derived id.</summary>
public sealed class DatasetRepository
{
    const string Columns = "id, project_id, name, kind, source, content_sha256, item_count, byte_count, label_names, created_at";
    readonly RegistryDb _db;

    internal DatasetRepository(RegistryDb db) => _db = db;

    /// <summary>
    /// Inserts the dataset, or returns the row already registered under the same id (same content): registering the
    /// same files again is a no-op whatever name or path they come with.
    /// </summary>
    public async Task<(DatasetRecord Record, bool Created)> RegisterAsync(NewDataset dataset, CancellationToken ct = default)
    {
        var d = dataset.Validated();
        if (await GetAsync(d.Id, ct) is { } existing) return (existing, false);
        if (await GetByNameAsync(d.Name, d.ProjectId, ct) is { } named)
            throw new ArgumentException($"a dataset named '{d.Name}' is already registered with other content ({named.Id}); choose another name with --name");
        var rows = await _db.QueryAsync($"""
            INSERT INTO datasets (id, project_id, name, kind, source, content_sha256, item_count, byte_count, label_names)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
            ON CONFLICT (id) DO NOTHING
            RETURNING {Columns}
            """, Map, ct, d.Id, d.ProjectId, d.Name, d.Kind, d.Source, d.ContentSha256.ToLowerInvariant(), d.ItemCount, d.ByteCount,
            d.LabelNames.ToArray());
        // A concurrent registration of the same content won the race: theirs is ours.
        return rows.Count == 1 ? (rows[0], true) : ((await GetAsync(d.Id, ct))!, false);
    }

    public Task<DatasetRecord?> GetAsync(string id, CancellationToken ct = default) =>
        _db.QuerySingleAsync($"SELECT {Columns} FROM datasets WHERE id = $1", Map, ct, RegistryIds.Validate(id, "dataset id"));

    public Task<DatasetRecord?> GetByNameAsync(string name, string projectId = RegistryIds.DefaultProject, CancellationToken ct = default) =>
        _db.QuerySingleAsync($"SELECT {Columns} FROM datasets WHERE project_id = $1 AND name = $2", Map, ct, projectId, name);

    /// <summary>Newest first.</summary>
    public Task<List<DatasetRecord>> ListAsync(int limit = 100, CancellationToken ct = default) =>
        _db.QueryAsync($"SELECT {Columns} FROM datasets ORDER BY created_at DESC, id LIMIT $1", Map, ct, RegistryLimits.Check(limit));

    static DatasetRecord Map(NpgsqlDataReader r) => new(
        r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4), r.GetString(5), r.GetInt32(6), r.GetInt64(7),
        r.Strings(8), r.Time(9));
}
