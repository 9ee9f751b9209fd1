using MMInterp.Grains.Contracts;
using Npgsql;

namespace MMInterp.Grains.Registry;

/// <summary>Activation sets and their lineage (model, hook points, dataset, extraction run, index artefact).</summary>
public sealed class ActivationSetRepository
{
    const string Columns = "id, project_id, model_id, hook_points, dataset_spec::text, shard_count, row_count, index_sha256, extraction_run_id, created_at";
    readonly RegistryDb _db;

    internal ActivationSetRepository(RegistryDb db) => _db = db;

    public async Task<ActivationSetRecord> RegisterAsync(NewActivationSet set, CancellationToken ct = default)
    {
        var s = set.Validated();
        var rows = await _db.QueryAsync($"""
            INSERT INTO activation_sets (id, project_id, model_id, hook_points, dataset_spec, shard_count, row_count, index_sha256, extraction_run_id)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
            RETURNING {Columns}
            """, Map, ct, s.Id ?? RegistryIds.New("acts"), s.ProjectId, s.ModelId, s.HookPoints.ToArray(),
            RegistryDb.Jsonb(s.DatasetSpecJson), s.ShardCount, s.RowCount, s.IndexSha256.ToLowerInvariant(), s.ExtractionRunId);
        return rows.Single();
    }

    public Task<ActivationSetRecord?> GetAsync(string id, CancellationToken ct = default) =>
        _db.QuerySingleAsync($"SELECT {Columns} FROM activation_sets WHERE id = $1", Map, ct, RegistryIds.Validate(id, "activation set id"));

    /// <summary>Newest first; optionally for one model and/or containing one hook point.</summary>
    public Task<List<ActivationSetRecord>> ListAsync(string? modelId = null, string? hookPoint = null, int limit = 100, CancellationToken ct = default) =>
        _db.QueryAsync($"""
            SELECT {Columns} FROM activation_sets
            WHERE ($1::text IS NULL OR model_id = $1) AND ($2::text IS NULL OR $2 = ANY (hook_points))
            ORDER BY created_at DESC, id LIMIT $3
            """, Map, ct, RegistryDb.Text(modelId), RegistryDb.Text(hookPoint), RegistryLimits.Check(limit));

    static ActivationSetRecord Map(NpgsqlDataReader r) => new(
        r.GetString(0), r.GetString(1), r.GetString(2), r.Strings(3), r.GetString(4), r.GetInt32(5), r.GetInt64(6),
        r.GetString(7), r.StringOrNull(8), r.Time(9));
}
