using MMInterp.Grains.Contracts;
using Npgsql;

namespace MMInterp.Grains.Registry;

/// <summary>
/// Training runs and jobs. Status only moves forward: pending -> running -> succeeded | failed | cancelled
/// (pending may also end directly). A finished run is final, so a late progress report from a dying worker
/// cannot resurrect it.
/// </summary>
public sealed partial class RunRepository
{
    const string Columns = "id, project_id, kind, status, progress, step, total_steps, config::text, error, parent_run_id, experiment_id, created_at, updated_at, started_at, finished_at, stage";
    static readonly string[] Open = ["pending", "running"];
    readonly RegistryDb _db;

    internal RunRepository(RegistryDb db) => _db = db;

    public async Task<RunRecord> CreateAsync(NewRun run, CancellationToken ct = default)
    {
        var r = run.Validated();
        var rows = await _db.QueryAsync($"""
            INSERT INTO runs (id, project_id, kind, config, total_steps, parent_run_id, experiment_id)
            VALUES ($1, $2, $3, $4, $5, $6, $7)
            RETURNING {Columns}
            """, Map, ct, r.Id ?? RegistryIds.New("run"), r.ProjectId, RegistryNames.Name(r.Kind), RegistryDb.Jsonb(r.ConfigJson),
            r.TotalSteps, r.ParentRunId, r.ExperimentId);
        return rows.Single();
    }

    public Task<RunRecord?> GetAsync(string id, CancellationToken ct = default) =>
        _db.QuerySingleAsync($"SELECT {Columns} FROM runs WHERE id = $1", Map, ct, RegistryIds.Validate(id, "run id"));

    /// <summary>Newest first; optional filters by status, kind and parent (a sweep's children).</summary>
    public Task<List<RunRecord>> ListAsync(RunStatus? status = null, RunKind? kind = null, string? parentRunId = null, int limit = 100, CancellationToken ct = default) =>
        _db.QueryAsync($"""
            SELECT {Columns} FROM runs
            WHERE ($1::text IS NULL OR status = $1) AND ($2::text IS NULL OR kind = $2) AND ($3::text IS NULL OR parent_run_id = $3)
            ORDER BY created_at DESC, id LIMIT $4
            """, Map, ct, RegistryDb.Text(status is { } s ? RegistryNames.Name(s) : null), RegistryDb.Text(kind is { } k ? RegistryNames.Name(k) : null),
            RegistryDb.Text(parentRunId), RegistryLimits.Check(limit));

    /// <summary>Records the current step and progress (0-1) of a pending or running run, and what it is doing
    /// (<paramref name="stage"/>, cut to 200 characters; null keeps the last one).</summary>
    public async Task<RunRecord> ReportProgressAsync(string id, long step, double progress, CancellationToken ct = default, string? stage = null)
    {
        if (step < 0) throw new ArgumentException($"step must be >= 0, got {step}");
        if (!(progress is >= 0 and <= 1)) throw new ArgumentException($"progress must be in [0, 1], got {progress}");
        if (stage is { Length: > 200 }) stage = stage[..200];
        var rows = await _db.QueryAsync($"""
            UPDATE runs SET step = $2, progress = $3, stage = COALESCE($5, stage), updated_at = now()
            WHERE id = $1 AND status = ANY ($4)
            RETURNING {Columns}
            """, Map, ct, RegistryIds.Validate(id, "run id"), step, progress, Open, RegistryDb.Text(stage));
        return rows.SingleOrDefault() ?? throw await WhyNotUpdatedAsync(id, "report progress on", ct);
    }

    /// <summary>
    /// Moves a run to <paramref name="status"/>. Running stamps started_at (first time only); a terminal status
    /// stamps finished_at and, for success, sets progress to 1. <paramref name="error"/> is kept for failures.
    /// </summary>
    public async Task<RunRecord> SetStatusAsync(string id, RunStatus status, string? error = null, CancellationToken ct = default)
    {
        if (!Enum.IsDefined(status)) throw new ArgumentException($"unknown run status {(int)status}");
        if (status == RunStatus.Pending) throw new ArgumentException("a run cannot go back to pending");
        var rows = await _db.QueryAsync($"""
            UPDATE runs SET
                status      = $2,
                error       = COALESCE($3, error),
                updated_at  = now(),
                started_at  = CASE WHEN $2 = 'running' THEN COALESCE(started_at, now()) ELSE started_at END,
                finished_at = CASE WHEN $2 IN ('succeeded', 'failed', 'cancelled') THEN now() ELSE NULL END,
                progress    = CASE WHEN $2 = 'succeeded' THEN 1 ELSE progress END
            WHERE id = $1 AND status = ANY ($4)
            RETURNING {Columns}
            """, Map, ct, RegistryIds.Validate(id, "run id"), RegistryNames.Name(status), RegistryDb.Text(error), Open); // every allowed move starts from an open status
        return rows.SingleOrDefault() ?? throw await WhyNotUpdatedAsync(id, $"set status {RegistryNames.Name(status)} on", ct);
    }

    async Task<Exception> WhyNotUpdatedAsync(string id, string action, CancellationToken ct)
    {
        var current = await GetAsync(id, ct);
        return current is null
            ? new RegistryNotFoundException($"no run '{id}'")
            : new RegistryConflictException($"cannot {action} run '{id}': it is already {RegistryNames.Name(current.Status)}");
    }

    static RunRecord Map(NpgsqlDataReader r) => new(
        r.GetString(0), r.GetString(1), RegistryNames.ParseRunKind(r.GetString(2)), RegistryNames.ParseRunStatus(r.GetString(3)),
        r.GetDouble(4), r.GetInt64(5), r.Int64OrNull(6), r.GetString(7), r.StringOrNull(8), r.StringOrNull(9), r.StringOrNull(10),
        r.Time(11), r.Time(12), r.TimeOrNull(13), r.TimeOrNull(14), r.StringOrNull(15));
}
