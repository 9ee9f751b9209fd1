using MMInterp.Grains.Contracts;
using Npgsql;

namespace MMInterp.Grains.Registry;

/// <summary>Registered models: spec, checkpoint artefact, the run that trained them.</summary>
public sealed class ModelRepository
{
    const string Columns = "id, project_id, name, family, spec::text, checkpoint_sha256, training_run_id, created_at";
    readonly RegistryDb _db;

    internal ModelRepository(RegistryDb db) => _db = db;

    public async Task<ModelRecord> RegisterAsync(NewModel model, CancellationToken ct = default)
    {
        var m = model.Validated();
        var rows = await _db.QueryAsync($"""
            INSERT INTO models (id, project_id, name, family, spec, checkpoint_sha256, training_run_id)
            VALUES ($1, $2, $3, $4, $5, $6, $7)
            RETURNING {Columns}
            """, Map, ct, m.Id ?? RegistryIds.New("model"), m.ProjectId, m.Name, RegistryNames.Name(m.Family),
            RegistryDb.Jsonb(m.SpecJson), m.CheckpointSha256?.ToLowerInvariant(), m.TrainingRunId);
        return rows.Single();
    }

    public Task<ModelRecord?> GetAsync(string id, CancellationToken ct = default) =>
        _db.QuerySingleAsync($"SELECT {Columns} FROM models WHERE id = $1", Map, ct, RegistryIds.Validate(id, "model id"));

    public Task<ModelRecord?> GetByNameAsync(string name, string projectId = RegistryIds.DefaultProject, CancellationToken ct = default) =>
        _db.QuerySingleAsync($"SELECT {Columns} FROM models WHERE project_id = $1 AND name = $2", Map, ct, projectId, name);

    /// <summary>Newest first; optionally one family only.</summary>
    public Task<List<ModelRecord>> ListAsync(ModelFamily? family = null, int limit = 100, CancellationToken ct = default) =>
        _db.QueryAsync($"""
            SELECT {Columns} FROM models
            WHERE ($1::text IS NULL OR family = $1)
            ORDER BY created_at DESC, id LIMIT $2
            """, Map, ct, RegistryDb.Text(family is { } f ? RegistryNames.Name(f) : null), RegistryLimits.Check(limit));

    /// <summary>Sets the checkpoint once training has produced it.</summary>
    public async Task SetCheckpointAsync(string id, string checkpointSha256, CancellationToken ct = default)
    {
        var n = await _db.ExecuteAsync("UPDATE models SET checkpoint_sha256 = $2 WHERE id = $1", ct,
            RegistryIds.Validate(id, "model id"), Kernels.Artefacts.ArtefactHash.Validate(checkpointSha256));
        if (n == 0) throw new RegistryNotFoundException($"no model '{id}'");
    }

    /// <summary>
    /// What refers to the model: activation sets and dictionaries by their model_id; runs, experiments and other
    /// models whose config/results/spec hold the id as a JSON string anywhere (how jobs and zoo specs name a model).
    /// </summary>
    public async Task<ModelDependents> DependentsAsync(string id, CancellationToken ct = default) =>
        new(await _db.QueryAsync(DependentsSql, r => new ModelDependent(r.GetString(0), r.GetString(1)), ct, RegistryIds.Validate(id, "model id")));

    const string DependentsSql = """
        WITH target AS (SELECT jsonb_build_object('id', $1::text) AS vars)
        SELECT 'activation set', id FROM activation_sets WHERE model_id = $1
        UNION ALL SELECT 'dictionary', id FROM dictionaries WHERE model_id = $1
        UNION ALL SELECT 'run', id FROM runs, target WHERE jsonb_path_exists(config, '$.** ? (@ == $id)', target.vars)
        UNION ALL SELECT 'experiment', id FROM experiments, target
            WHERE jsonb_path_exists(config, '$.** ? (@ == $id)', target.vars) OR jsonb_path_exists(results, '$.** ? (@ == $id)', target.vars)
        UNION ALL SELECT 'model', id FROM models, target WHERE id <> $1 AND jsonb_path_exists(spec, '$.** ? (@ == $id)', target.vars)
        LIMIT 10000
        """;

    /// <summary>
    /// Removes the model's row when nothing depends on it (checked in the same statement, so a dependent created
    /// meanwhile makes the delete fail on its foreign key rather than leave it dangling). Stored artefacts stay:
    /// content-addressed files may be shared, and the artefact store never deletes.
    /// </summary>
    public async Task DeleteAsync(string id, CancellationToken ct = default)
    {
        if (await GetAsync(id, ct) is null) throw new RegistryNotFoundException($"no model '{id}'");
        var dependents = await DependentsAsync(id, ct);
        if (dependents.Items.Count > 0) throw new RegistryReferenceException($"model '{id}' is still used by {dependents}; remove those first");
        var n = await _db.ExecuteAsync($"""
            DELETE FROM models m WHERE m.id = $1
            AND NOT EXISTS (SELECT 1 FROM activation_sets WHERE model_id = $1)
            AND NOT EXISTS (SELECT 1 FROM dictionaries WHERE model_id = $1)
            """, ct, id);
        if (n == 0) throw new RegistryReferenceException($"model '{id}' gained a dependent while being removed; nothing was removed");
    }

    static ModelRecord Map(NpgsqlDataReader r) => new(
        r.GetString(0), r.GetString(1), r.GetString(2), RegistryNames.ParseFamily(r.GetString(3)), r.GetString(4),
        r.StringOrNull(5), r.StringOrNull(6), r.Time(7));
}
