using MMInterp.Grains.Contracts;
using MMInterp.Grains.Contracts.Experiments;
using Npgsql;
using NpgsqlTypes;

namespace MMInterp.Grains.Registry;

/// <summary>
/// Per-feature statistics and labels of dictionaries. Writes are batched (one statement over arrays), since a
/// dictionary has thousands of features; both are upserts, so re-running an analysis updates in place.
/// </summary>
public sealed partial class FeatureRepository
{
    const string LabelColumns = "dictionary_id, feature_index, label, score, method, experiment_id, updated_at, id, created_by, updated_by, created_at";
    readonly RegistryDb _db;

    internal FeatureRepository(RegistryDb db) => _db = db;

    /// <summary>Inserts or replaces the stats of the given features. Returns the number of rows written.</summary>
    public Task<int> UpsertStatsAsync(string dictionaryId, IReadOnlyList<FeatureStats> features, CancellationToken ct = default)
    {
        RegistryIds.Validate(dictionaryId, "dictionary id");
        foreach (var f in features)
        {
            if (f.Index < 0) throw new ArgumentException($"feature index must be >= 0, got {f.Index}");
            RegistryJson.ValidateObject(f.StatsJson, $"stats of feature {f.Index}");
        }
        if (features.Select(f => f.Index).Distinct().Count() != features.Count)
            throw new ArgumentException("a feature appears twice in one stats batch");
        if (features.Count == 0) return Task.FromResult(0);
        return _db.ExecuteAsync("""
            INSERT INTO features (dictionary_id, feature_index, stats)
            SELECT $1, i, s FROM unnest($2::int[], $3::jsonb[]) AS t(i, s)
            ON CONFLICT (dictionary_id, feature_index) DO UPDATE SET stats = EXCLUDED.stats, updated_at = now()
            """, ct, dictionaryId, features.Select(f => f.Index).ToArray(),
            new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Jsonb, Value = features.Select(f => f.StatsJson).ToArray() });
    }

    public Task<FeatureRecord?> GetAsync(string dictionaryId, int index, CancellationToken ct = default) =>
        _db.QuerySingleAsync("""
            SELECT dictionary_id, feature_index, stats::text, updated_at FROM features WHERE dictionary_id = $1 AND feature_index = $2
            """, MapFeature, ct, RegistryIds.Validate(dictionaryId, "dictionary id"), index);

    /// <summary>Features in index order, a page at a time.</summary>
    public Task<List<FeatureRecord>> ListAsync(string dictionaryId, int fromIndex = 0, int limit = 1000, CancellationToken ct = default) =>
        _db.QueryAsync("""
            SELECT dictionary_id, feature_index, stats::text, updated_at FROM features
            WHERE dictionary_id = $1 AND feature_index >= $2 ORDER BY feature_index LIMIT $3
            """, MapFeature, ct, RegistryIds.Validate(dictionaryId, "dictionary id"), fromIndex, RegistryLimits.Check(limit));

    /// <summary>
    /// Inserts labels, or updates the score of an existing (feature, method, label). Features without a stats row
    /// get an empty one, so labeling need not wait for statistics. All in one transaction.
    /// </summary>
    public Task<int> UpsertLabelsAsync(string dictionaryId, IReadOnlyList<NewLabel> labels, CancellationToken ct = default)
    {
        RegistryIds.Validate(dictionaryId, "dictionary id");
        foreach (var l in labels) l.Validated();
        if (labels.Select(l => (l.FeatureIndex, l.Method, l.Label)).Distinct().Count() != labels.Count)
            throw new ArgumentException("a (feature, method, label) appears twice in one label batch");
        if (labels.Count == 0) return Task.FromResult(0);
        var indexes = labels.Select(l => l.FeatureIndex).ToArray();
        return _db.RunAsync(async conn =>
        {
            await using var tx = await conn.BeginTransactionAsync(ct);
            await using (var ensure = RegistryDb.Command(conn, """
                INSERT INTO features (dictionary_id, feature_index) SELECT DISTINCT $1, i FROM unnest($2::int[]) AS t(i)
                ON CONFLICT DO NOTHING
                """, [dictionaryId, indexes], tx))
                await ensure.ExecuteNonQueryAsync(ct);
            int n;
            await using (var upsert = RegistryDb.Command(conn, """
                INSERT INTO labels (dictionary_id, feature_index, label, score, method, experiment_id)
                SELECT $1, i, l, s, m, e FROM unnest($2::int[], $3::text[], $4::float8[], $5::text[], $6::text[]) AS t(i, l, s, m, e)
                ON CONFLICT (dictionary_id, feature_index, method, label)
                DO UPDATE SET score = EXCLUDED.score, experiment_id = EXCLUDED.experiment_id, updated_at = now()
                """, [dictionaryId, indexes, labels.Select(l => l.Label).ToArray(), labels.Select(l => l.Score).ToArray(),
                    labels.Select(l => RegistryNames.Name(l.Method)).ToArray(), labels.Select(l => l.ExperimentId).ToArray()], tx))
                n = await upsert.ExecuteNonQueryAsync(ct);
            await tx.CommitAsync(ct);
            return n;
        }, ct);
    }

    /// <summary>Labels of one feature (or of all features when <paramref name="featureIndex"/> is null), best score first.</summary>
    public Task<List<LabelRecord>> GetLabelsAsync(string dictionaryId, int? featureIndex = null, CancellationToken ct = default) =>
        _db.QueryAsync($"""
            SELECT {LabelColumns} FROM labels
            WHERE dictionary_id = $1 AND ($2::int IS NULL OR feature_index = $2)
            ORDER BY feature_index, score DESC, label
            """, MapLabel, ct, RegistryIds.Validate(dictionaryId, "dictionary id"),
            new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Integer, Value = (object?)featureIndex ?? DBNull.Value });

    /// <summary>Labels starting with <paramref name="prefix"/> (case-insensitive), best score first, across dictionaries.</summary>
    public Task<List<LabelRecord>> SearchLabelsAsync(string prefix, LabelMethod? method = null, int limit = 100, CancellationToken ct = default)
    {
        if (string.IsNullOrWhiteSpace(prefix)) throw new ArgumentException("label search text is empty");
        // LIKE wildcards in the user's text are escaped so they match literally; the value stays a parameter.
        var pattern = prefix.ToLowerInvariant().Replace(@"\", @"\\").Replace("%", @"\%").Replace("_", @"\_") + "%";
        return _db.QueryAsync($"""
            SELECT {LabelColumns} FROM labels
            WHERE lower(label) LIKE $1 AND ($2::text IS NULL OR method = $2)
            ORDER BY score DESC, dictionary_id, feature_index LIMIT $3
            """, MapLabel, ct, pattern, RegistryDb.Text(method is { } m ? RegistryNames.Name(m) : null), RegistryLimits.Check(limit));
    }

    /// <summary>How many features have a row, and how many labels they carry.</summary>
    public async Task<(long Features, long Labels)> CountAsync(string dictionaryId, CancellationToken ct = default)
    {
        var rows = await _db.QueryAsync("""
            SELECT (SELECT count(*) FROM features WHERE dictionary_id = $1), (SELECT count(*) FROM labels WHERE dictionary_id = $1)
            """, r => (r.GetInt64(0), r.GetInt64(1)), ct, RegistryIds.Validate(dictionaryId, "dictionary id"));
        return rows.Single();
    }

    static FeatureRecord MapFeature(NpgsqlDataReader r) => new(r.GetString(0), r.GetInt32(1), r.GetString(2), r.Time(3));

    static LabelRecord MapLabel(NpgsqlDataReader r) => new(
        r.GetString(0), r.GetInt32(1), r.GetString(2), r.GetDouble(3), RegistryNames.ParseLabelMethod(r.GetString(4)), r.StringOrNull(5), r.Time(6),
        r.GetInt64(7), r.StringOrNull(8), r.StringOrNull(9), r.Time(10));
}
