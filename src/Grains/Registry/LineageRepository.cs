using MMInterp.Grains.Contracts;

namespace MMInterp.Grains.Registry;

/// <summary>
/// Lineage reads for the detail pages: which of some ids name registry rows (so a page can link every id it shows),
/// and which experiments and runs name given rows in their config or results (how jobs and studies record what they
/// used, e.g. an analysis's dictionary id).
/// </summary>
public sealed class LineageRepository
{
    /// <summary>Most ids one lookup takes; a page shows far fewer.</summary>
    public const int MaxIds = 2000;

    readonly RegistryDb _db;

    internal LineageRepository(RegistryDb db) => _db = db;

    /// <summary>The registry rows among <paramref name="ids"/> (any kind), each once; strings that are not ids are skipped.</summary>
    public async Task<List<RegistryRef>> NamedAsync(IEnumerable<string> ids, CancellationToken ct = default)
    {
        var list = ids.Where(RegistryIds.IsValid).Distinct(StringComparer.Ordinal).Take(MaxIds).ToArray();
        if (list.Length == 0) return [];
        return await _db.QueryAsync("""
            SELECT 'model', id FROM models WHERE id = ANY ($1)
            UNION ALL SELECT 'activation set', id FROM activation_sets WHERE id = ANY ($1)
            UNION ALL SELECT 'dictionary', id FROM dictionaries WHERE id = ANY ($1)
            UNION ALL SELECT 'run', id FROM runs WHERE id = ANY ($1)
            UNION ALL SELECT 'experiment', id FROM experiments WHERE id = ANY ($1)
            """, r => new RegistryRef(r.GetString(0), r.GetString(1)), ct, TextArray(list));
    }

    /// <summary>Experiments whose config or results hold one of <paramref name="ids"/> as a JSON string, newest first.</summary>
    public async Task<List<RegistryRef>> ExperimentsNamingAsync(IReadOnlyCollection<string> ids, int limit = 200, CancellationToken ct = default)
    {
        if (ids.Count == 0) return [];
        return await _db.QueryAsync("""
            SELECT 'experiment', x.id FROM experiments x
            WHERE EXISTS (SELECT 1 FROM jsonb_path_query(x.config, 'strict $.**') v WHERE jsonb_typeof(v) = 'string' AND v #>> '{}' = ANY ($1))
               OR EXISTS (SELECT 1 FROM jsonb_path_query(x.results, 'strict $.**') v WHERE jsonb_typeof(v) = 'string' AND v #>> '{}' = ANY ($1))
               OR EXISTS (SELECT 1 FROM runs r WHERE r.experiment_id = x.id AND r.id = ANY ($1))
            ORDER BY x.created_at DESC, x.id LIMIT $2
            """, r => new RegistryRef(r.GetString(0), r.GetString(1)), ct, TextArray(ids.Take(MaxIds).ToArray()), RegistryLimits.Check(limit));
    }

    /// <summary>Runs whose config holds <paramref name="id"/> as a JSON string (jobs that used the row), newest first.</summary>
    public Task<List<RegistryRef>> RunsNamingAsync(string id, int limit = 200, CancellationToken ct = default) =>
        _db.QueryAsync("""
            SELECT 'run', r.id FROM runs r
            WHERE EXISTS (SELECT 1 FROM jsonb_path_query(r.config, 'strict $.**') v WHERE jsonb_typeof(v) = 'string' AND v #>> '{}' = $1)
            ORDER BY r.created_at DESC, r.id LIMIT $2
            """, r => new RegistryRef(r.GetString(0), r.GetString(1)), ct, RegistryIds.Validate(id, "id"), RegistryLimits.Check(limit));

    // Typed, and one parameter: a bare string[] would be spread over the params array as separate parameters.
    static Npgsql.NpgsqlParameter TextArray(string[] values) =>
        new() { NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Text, Value = values };
}
