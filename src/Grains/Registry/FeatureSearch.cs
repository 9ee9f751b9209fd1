using MMInterp.Grains.Contracts;
using MMInterp.Grains.Contracts.Experiments;
using Npgsql;
using NpgsqlTypes;

namespace MMInterp.Grains.Registry;

/// <summary>
/// Filtering, sorting and paging a dictionary's features in PostgreSQL over the columns migration 0130 lifts out of
/// the stats (indexed), so a 65,536-feature dictionary's table never travels to the web server whole.
/// </summary>
public sealed partial class FeatureRepository
{
    public Task<FeatureSearchResult> SearchAsync(string dictionaryId, FeatureQuery query, CancellationToken ct = default)
    {
        RegistryIds.Validate(dictionaryId, "dictionary id");
        var q = query.Validated();
        var args = new List<object?> { dictionaryId };
        string Arg(object value)
        {
            args.Add(value);
            return "$" + args.Count;
        }
        var where = new List<string> { "f.dictionary_id = $1" };
        var text = string.IsNullOrWhiteSpace(q.LabelText) ? null : FeatureQuery.Contains(q.LabelText.Trim());
        if (text is not null || q.Method is not null)
        {
            var labelMatch = new List<string> { "l.dictionary_id = f.dictionary_id", "l.feature_index = f.feature_index" };
            if (text is not null) labelMatch.Add($"l.label ILIKE {Arg(text)}");
            if (q.Method is { } m) labelMatch.Add($"l.method = {Arg(RegistryNames.Name(m))}");
            // Label text is searched in the labels table only (trigram-indexed): analyses write every free label there
            // as well as into the stats, so the stats' fallback label adds nothing but a scan of every feature.
            where.Add($"EXISTS (SELECT 1 FROM labels l WHERE {string.Join(" AND ", labelMatch)})");
        }
        if (!string.IsNullOrWhiteSpace(q.Concept)) where.Add($"f.concept ILIKE {Arg(FeatureQuery.Contains(q.Concept.Trim()))}");
        if (q.MinAuroc is { } lo) where.Add($"f.auroc >= {Arg(lo)}");
        if (q.MaxAuroc is { } hi) where.Add($"f.auroc <= {Arg(hi)}");
        // Not steerable means tested and refused; a feature never steered matches neither.
        if (q.Steerable is { } s) where.Add(s ? "f.steerable" : "f.steerable = false");
        if (q.HasDashboard is { } d) where.Add(d ? "f.has_dashboard" : "NOT f.has_dashboard");
        var filter = string.Join(" AND ", where);
        var order = $"{FeatureQuery.SortColumns[q.Sort]} {(q.Descending ? "DESC" : "ASC")} NULLS LAST"
                    + (q.Sort == "index" ? "" : ", f.feature_index");
        var countArgs = args.ToArray();
        var offset = Arg(q.Offset);
        var limit = Arg(q.Limit);
        return _db.RunAsync(async conn =>
        {
            // The page's indexes first (an index range, index-only where the sort key's index covers it, so a deep
            // page skips index entries, not rows), then only those rows' stats.
            var rows = await RegistryDb.QueryAsync(conn, null, $"""
                SELECT f.dictionary_id, f.feature_index, f.stats::text, f.updated_at
                FROM (SELECT page.feature_index, row_number() OVER () AS n
                      FROM (SELECT f.feature_index FROM features f WHERE {filter} ORDER BY {order} OFFSET {offset} LIMIT {limit}) page) p
                JOIN features f ON f.dictionary_id = $1 AND f.feature_index = p.feature_index
                ORDER BY p.n
                """, MapFeature, ct, args.ToArray());
            var total = rows.Count < q.Limit && (rows.Count > 0 || q.Offset == 0)
                ? q.Offset + rows.Count // the last page: no need to count again
                : (await RegistryDb.QueryAsync(conn, null, $"SELECT count(*) FROM features f WHERE {filter}", r => r.GetInt64(0), ct, countArgs)).Single();
            return new FeatureSearchResult(rows, total);
        }, ct);
    }

    /// <summary>Labels of the given features of one dictionary, best score first per feature.</summary>
    public Task<List<LabelRecord>> GetLabelsAsync(string dictionaryId, IReadOnlyCollection<int> featureIndexes, CancellationToken ct = default) =>
        _db.QueryAsync($"""
            SELECT {LabelColumns} FROM labels WHERE dictionary_id = $1 AND feature_index = ANY ($2)
            ORDER BY feature_index, score DESC, label
            """, MapLabel, ct, RegistryIds.Validate(dictionaryId, "dictionary id"),
            new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Integer, Value = featureIndexes.ToArray() });
}
