using Npgsql;

namespace MMInterp.Grains.Registry;

/// <summary>
/// The compare lists: runs and dictionaries with their settings and headline metrics as columns, sorted and filtered
/// in SQL over the whole table (not only a newest page). Sort keys are looked up in a fixed table of columns, so a
/// request's key never reaches the SQL text; an unknown key is refused with the list of valid ones.
/// </summary>
public sealed class ComparisonRepository
{
    /// <summary>The runs list's sortable columns (key -> column of the query below).</summary>
    public static readonly IReadOnlyDictionary<string, string> RunColumns = new Dictionary<string, string>
    {
        ["id"] = "id", ["kind"] = "kind", ["status"] = "status", ["model"] = "model_id", ["hook"] = "hook", ["layer"] = "layer",
        ["architecture"] = "architecture", ["d_sae"] = "d_sae", ["k"] = "k", ["sparsity"] = "sparsity", ["lr"] = "lr",
        ["steps"] = "steps", ["step"] = "step", ["loss"] = "loss", ["l0"] = "l0", ["fvu"] = "fvu", ["dead"] = "dead_fraction",
        ["created"] = "created_at", ["updated"] = "updated_at",
    };

    /// <summary>The dictionaries list's sortable columns.</summary>
    public static readonly IReadOnlyDictionary<string, string> DictionaryColumns = new Dictionary<string, string>
    {
        ["id"] = "id", ["model"] = "model_id", ["hook"] = "hook_point", ["layer"] = "layer", ["architecture"] = "architecture",
        ["d_in"] = "d_in", ["d_sae"] = "d_sae", ["k"] = "k", ["sparsity"] = "sparsity", ["steps"] = "steps", ["l0"] = "l0",
        ["fvu"] = "fvu", ["dead"] = "dead_fraction", ["mse"] = "mse", ["features"] = "feature_rows", ["labels"] = "label_rows",
        ["created"] = "created_at",
    };

    // The block number of a hook name ("vision.blocks.2.hook_resid_post" -> 2), for the layer column.
    const string LayerOf = @"substring({0} from '(?:blocks|layers|layer|h)\.([0-9]+)')::int";

    readonly RegistryDb _db;

    internal ComparisonRepository(RegistryDb db) => _db = db;

    public Task<List<RunRow>> RunsAsync(CompareQuery query, CancellationToken ct = default)
    {
        var (order, q) = Order(query, RunColumns, "created");
        return _db.QueryAsync($"""
            WITH base AS (
                SELECT r.*, CASE WHEN r.kind = 'sweep' THEN r.config -> 'Base' ELSE r.config END AS spec FROM runs r
                WHERE ($1::text IS NULL OR r.kind = $1) AND ($2::text IS NULL OR r.status = $2) AND ($3::text IS NULL OR r.parent_run_id = $3)
                  AND ($11::text[] IS NULL OR r.id = ANY ($11))
            ), configs AS (
                SELECT b.*, mminterp_jsonb_or_null(b.spec ->> 'SaeConfigJson') AS sae, mminterp_jsonb_or_null(b.spec ->> 'TrainingConfigJson') AS training
                FROM base b
            ), listed AS (
                SELECT c.id, c.kind, c.status, c.error, c.parent_run_id, c.experiment_id, c.spec ->> 'ActivationSetId' AS activation_set_id,
                    a.model_id, c.spec ->> 'Hook' AS hook, {string.Format(LayerOf, "c.spec ->> 'Hook'")} AS layer, lower(c.sae ->> 'Kind') AS architecture,
                    mminterp_number_or_null(c.sae -> 'DSae') AS d_sae, mminterp_number_or_null(c.sae -> 'K') AS k,
                    mminterp_number_or_null(c.training -> 'SparsityCoefficient') AS sparsity, mminterp_number_or_null(c.training -> 'Lr') AS lr,
                    mminterp_number_or_null(c.spec -> 'Steps') AS steps, mminterp_number_or_null(c.spec -> 'BatchSize') AS batch_size,
                    mminterp_number_or_null(c.spec -> 'Seed') AS seed, c.step, c.progress, {Last("loss")} AS loss, {Last("l0")} AS l0, {Last("fvu")} AS fvu,
                    {Last("dead_fraction")} AS dead_fraction,
                    (SELECT d.id FROM dictionaries d WHERE d.training_run_id = c.id ORDER BY d.created_at LIMIT 1) AS dictionary_id,
                    c.created_at, c.updated_at
                FROM configs c
                LEFT JOIN activation_sets a ON a.id = c.spec ->> 'ActivationSetId'
            )
            SELECT id, kind, status, error, parent_run_id, experiment_id, activation_set_id, model_id, hook, layer, architecture,
                   d_sae, k, sparsity, lr, steps, batch_size, seed, step, progress, loss, l0, fvu, dead_fraction, dictionary_id, created_at, updated_at
            FROM listed
            WHERE ($4::text IS NULL OR model_id = $4) AND ($5::text IS NULL OR activation_set_id = $5) AND ($6::text IS NULL OR hook = $6)
              AND ($7::text IS NULL OR architecture = $7) AND ($8::float8 IS NULL OR fvu <= $8) AND ($9::float8 IS NULL OR l0 <= $9)
            ORDER BY {order}, created_at DESC, id LIMIT $10
            """, r => new RunRow(
                r.GetString(0), RegistryNames.ParseRunKind(r.GetString(1)), RegistryNames.ParseRunStatus(r.GetString(2)), r.StringOrNull(3),
                r.StringOrNull(4), r.StringOrNull(5), r.StringOrNull(6), r.StringOrNull(7), r.StringOrNull(8), r.IsDBNull(9) ? null : r.GetInt32(9),
                r.StringOrNull(10), D(r, 11), D(r, 12), D(r, 13), D(r, 14), D(r, 15), D(r, 16), D(r, 17), r.GetInt64(18), r.GetDouble(19),
                D(r, 20), D(r, 21), D(r, 22), D(r, 23), r.StringOrNull(24), r.Time(25), r.Time(26)), ct,
            RegistryDb.Text(q.Kind is { } k ? RegistryNames.Name(k) : null), RegistryDb.Text(q.Status is { } s ? RegistryNames.Name(s) : null),
            RegistryDb.Text(q.ParentRunId), RegistryDb.Text(q.ModelId), RegistryDb.Text(q.ActivationSetId), RegistryDb.Text(q.Hook),
            RegistryDb.Text(q.Architecture?.ToLowerInvariant()), Number(q.MaxFvu), Number(q.MaxL0), RegistryLimits.Check(q.Limit),
            new NpgsqlParameter { NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Text, Value = (object?)q.Ids?.ToArray() ?? DBNull.Value });
    }

    public Task<List<DictionaryRow>> DictionariesAsync(CompareQuery query, CancellationToken ct = default)
    {
        var (order, q) = Order(query, DictionaryColumns, "created");
        return _db.QueryAsync($"""
            WITH listed AS (
                SELECT d.id, d.model_id, d.hook_point, {string.Format(LayerOf, "d.hook_point")} AS layer, d.activation_set_id, d.training_run_id,
                    d.architecture, d.d_in, d.d_sae, mminterp_number_or_null(d.config -> 'K') AS k,
                    mminterp_number_or_null(mminterp_jsonb_or_null(r.config ->> 'TrainingConfigJson') -> 'SparsityCoefficient') AS sparsity,
                    mminterp_number_or_null(r.config -> 'Steps') AS steps,
                    mminterp_number_or_null(d.metrics -> 'l0') AS l0, mminterp_number_or_null(d.metrics -> 'fvu') AS fvu,
                    mminterp_number_or_null(d.metrics -> 'dead_fraction') AS dead_fraction, mminterp_number_or_null(d.metrics -> 'mse') AS mse,
                    (SELECT count(*) FROM features f WHERE f.dictionary_id = d.id) AS feature_rows,
                    (SELECT count(*) FROM labels l WHERE l.dictionary_id = d.id) AS label_rows, d.created_at
                FROM dictionaries d LEFT JOIN runs r ON r.id = d.training_run_id
                WHERE ($1::text IS NULL OR d.model_id = $1) AND ($2::text IS NULL OR d.activation_set_id = $2)
                  AND ($3::text IS NULL OR d.hook_point = $3) AND ($4::text IS NULL OR d.architecture = $4)
            )
            SELECT * FROM listed
            WHERE ($5::float8 IS NULL OR fvu <= $5) AND ($6::float8 IS NULL OR l0 <= $6)
            ORDER BY {order}, created_at DESC, id LIMIT $7
            """, r => new DictionaryRow(
                r.GetString(0), r.GetString(1), r.GetString(2), r.IsDBNull(3) ? null : r.GetInt32(3), r.StringOrNull(4), r.StringOrNull(5),
                RegistryNames.ParseArchitecture(r.GetString(6)), r.GetInt32(7), r.GetInt32(8), D(r, 9), D(r, 10), D(r, 11),
                D(r, 12), D(r, 13), D(r, 14), D(r, 15), r.GetInt64(16), r.GetInt64(17), r.Time(18)), ct,
            RegistryDb.Text(q.ModelId), RegistryDb.Text(q.ActivationSetId), RegistryDb.Text(q.Hook), RegistryDb.Text(q.Architecture?.ToLowerInvariant()),
            Number(q.MaxFvu), Number(q.MaxL0), RegistryLimits.Check(q.Limit));
    }

    /// <summary>The ORDER BY head for a query's sort key (its default when none), nulls always last.</summary>
    static (string Order, CompareQuery Query) Order(CompareQuery q, IReadOnlyDictionary<string, string> columns, string defaultKey)
    {
        var key = string.IsNullOrWhiteSpace(q.Sort) ? defaultKey : q.Sort.Trim().ToLowerInvariant();
        if (!columns.TryGetValue(key, out var column))
            throw new ArgumentException($"unknown sort column '{q.Sort}'; one of: {string.Join(", ", columns.Keys)}");
        if (q.MaxFvu is { } f && !double.IsFinite(f) || q.MaxL0 is { } l && !double.IsFinite(l))
            throw new ArgumentException("metric bounds must be finite numbers");
        return ($"{column} {(q.Descending ? "DESC" : "ASC")} NULLS LAST", q);
    }

    // A run's last logged value of one metric: one backward step of the metric_points_series index per run and name
    // (a DISTINCT ON over each run's points sorted them all, run by run).
    static string Last(string name) =>
        $"(SELECT p.value FROM metric_points p WHERE p.run_id = c.id AND p.name = '{name}' ORDER BY p.step DESC, p.recorded_at DESC LIMIT 1)";

    static double? D(NpgsqlDataReader r, int i) => r.IsDBNull(i) ? null : r.GetDouble(i);

    static NpgsqlParameter Number(double? v) => new() { NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Double, Value = (object?)v ?? DBNull.Value };
}
