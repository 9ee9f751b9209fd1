using MMInterp.Grains.Contracts;
using Npgsql;

namespace MMInterp.Grains.Registry;

/// <summary>Trained SAEs: config, metrics, checkpoint, lineage.</summary>
public sealed class DictionaryRepository
{
    const string Columns = "id, project_id, model_id, hook_point, activation_set_id, training_run_id, architecture, d_in, d_sae, config::text, metrics::text, checkpoint_sha256, created_at, updated_at";
    readonly RegistryDb _db;

    internal DictionaryRepository(RegistryDb db) => _db = db;

    public async Task<DictionaryRecord> RegisterAsync(NewDictionary dictionary, CancellationToken ct = default)
    {
        var d = dictionary.Validated();
        var rows = await _db.QueryAsync($"""
            INSERT INTO dictionaries (id, project_id, model_id, hook_point, activation_set_id, training_run_id, architecture, d_in, d_sae, config, metrics, checkpoint_sha256)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
            RETURNING {Columns}
            """, Map, ct, d.Id ?? RegistryIds.New("sae"), d.ProjectId, d.ModelId, d.HookPoint, d.ActivationSetId, d.TrainingRunId,
            RegistryNames.Name(d.Architecture), d.DIn, d.DSae, RegistryDb.Jsonb(d.ConfigJson), RegistryDb.Jsonb(d.MetricsJson),
            d.CheckpointSha256.ToLowerInvariant());
        return rows.Single();
    }

    public Task<DictionaryRecord?> GetAsync(string id, CancellationToken ct = default) =>
        _db.QuerySingleAsync($"SELECT {Columns} FROM dictionaries WHERE id = $1", Map, ct, RegistryIds.Validate(id, "dictionary id"));

    /// <summary>Newest first; optionally for one model and/or hook point.</summary>
    public Task<List<DictionaryRecord>> ListAsync(string? modelId = null, string? hookPoint = null, int limit = 100, CancellationToken ct = default) =>
        _db.QueryAsync($"""
            SELECT {Columns} FROM dictionaries
            WHERE ($1::text IS NULL OR model_id = $1) AND ($2::text IS NULL OR hook_point = $2)
            ORDER BY created_at DESC, id LIMIT $3
            """, Map, ct, RegistryDb.Text(modelId), RegistryDb.Text(hookPoint), RegistryLimits.Check(limit));

    /// <summary>Merges <paramref name="metricsJson"/>'s top-level keys into the stored metrics (later evaluations add to earlier ones).</summary>
    public async Task<DictionaryRecord> MergeMetricsAsync(string id, string metricsJson, CancellationToken ct = default)
    {
        RegistryJson.ValidateObject(metricsJson, "dictionary metrics");
        var rows = await _db.QueryAsync($"""
            UPDATE dictionaries SET metrics = metrics || $2, updated_at = now() WHERE id = $1
            RETURNING {Columns}
            """, Map, ct, RegistryIds.Validate(id, "dictionary id"), RegistryDb.Jsonb(metricsJson));
        return rows.SingleOrDefault() ?? throw new RegistryNotFoundException($"no dictionary '{id}'");
    }

    static DictionaryRecord Map(NpgsqlDataReader r) => new(
        r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.StringOrNull(4), r.StringOrNull(5),
        RegistryNames.ParseArchitecture(r.GetString(6)), r.GetInt32(7), r.GetInt32(8), r.GetString(9), r.GetString(10),
        r.GetString(11), r.Time(12), r.Time(13));
}
