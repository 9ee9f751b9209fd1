using MMInterp.Grains.Contracts;
using Npgsql;

namespace MMInterp.Grains.Registry;

/// <summary>Experiments and their results (one JSON object, merged key by key as analyses finish).</summary>
public sealed partial class ExperimentRepository
{
    const string Columns = "id, project_id, name, kind, description, config::text, results::text, created_at, updated_at, status, error";
    readonly RegistryDb _db;

    internal ExperimentRepository(RegistryDb db) => _db = db;

    public async Task<ExperimentRecord> CreateAsync(NewExperiment experiment, CancellationToken ct = default)
    {
        var e = experiment.Validated();
        var rows = await _db.QueryAsync($"""
            INSERT INTO experiments (id, project_id, name, kind, description, config)
            VALUES ($1, $2, $3, $4, $5, $6)
            RETURNING {Columns}
            """, Map, ct, e.Id ?? RegistryIds.New("exp"), e.ProjectId, e.Name, e.Kind, e.Description, RegistryDb.Jsonb(e.ConfigJson));
        return rows.Single();
    }

    public Task<ExperimentRecord?> GetAsync(string id, CancellationToken ct = default) =>
        _db.QuerySingleAsync($"SELECT {Columns} FROM experiments WHERE id = $1", Map, ct, RegistryIds.Validate(id, "experiment id"));

    /// <summary>Newest first; optionally one kind only.</summary>
    public Task<List<ExperimentRecord>> ListAsync(string? kind = null, int limit = 100, CancellationToken ct = default) =>
        _db.QueryAsync($"""
            SELECT {Columns} FROM experiments WHERE ($1::text IS NULL OR kind = $1)
            ORDER BY created_at DESC, id LIMIT $2
            """, Map, ct, RegistryDb.Text(kind), RegistryLimits.Check(limit));

    /// <summary>
    /// Merges <paramref name="resultsJson"/>'s top-level keys into the stored results, in one statement, so
    /// analyses finishing at the same time do not overwrite each other's keys.
    /// </summary>
    public async Task<ExperimentRecord> MergeResultsAsync(string id, string resultsJson, CancellationToken ct = default)
    {
        RegistryJson.ValidateObject(resultsJson, "experiment results");
        var rows = await _db.QueryAsync($"""
            UPDATE experiments SET results = results || $2, updated_at = now() WHERE id = $1
            RETURNING {Columns}
            """, Map, ct, RegistryIds.Validate(id, "experiment id"), RegistryDb.Jsonb(resultsJson));
        return rows.SingleOrDefault() ?? throw new RegistryNotFoundException($"no experiment '{id}'");
    }

    /// <summary>
    /// Records how the experiment stands: running when its analysis starts, then how it ended and why (the error of a
    /// failure). A finished experiment stays finished: repeating the call (a settlement retried) changes nothing.
    /// </summary>
    public async Task<ExperimentRecord> SetStatusAsync(string id, RunStatus status, string? error = null, CancellationToken ct = default)
    {
        if (!Enum.IsDefined(status)) throw new ArgumentException($"unknown experiment status {(int)status}");
        if (status == RunStatus.Pending) throw new ArgumentException("an experiment cannot go back to pending");
        var rows = await _db.QueryAsync($"""
            UPDATE experiments SET status = $2, error = COALESCE($3, error), updated_at = now()
            WHERE id = $1 AND status IN ('pending', 'running')
            RETURNING {Columns}
            """, Map, ct, RegistryIds.Validate(id, "experiment id"), RegistryNames.Name(status), RegistryDb.Text(error));
        return rows.SingleOrDefault() ?? await GetAsync(id, ct) ?? throw new RegistryNotFoundException($"no experiment '{id}'");
    }

    static ExperimentRecord Map(NpgsqlDataReader r) => new(
        r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4), r.GetString(5), r.GetString(6), r.Time(7), r.Time(8),
        RegistryNames.ParseRunStatus(r.GetString(9)), r.StringOrNull(10));
}
