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

    static ModelRecord Map(NpgsqlDataReader r) => new(
        r.GetString(0), r.GetString(1), r.GetString(2), RegistryNames.ParseFamily(r.GetString(3)), r.GetString(4),
        r.StringOrNull(5), r.StringOrNull(6), r.Time(7));
}
