using MMInterp.Grains.Contracts;
using Npgsql;
using NpgsqlTypes;

namespace MMInterp.Grains.Registry;

/// <summary>Metric series of runs, appended in bulk with binary COPY.</summary>
public sealed class MetricRepository
{
    readonly RegistryDb _db;

    internal MetricRepository(RegistryDb db) => _db = db;

    /// <summary>
    /// Appends points with one binary COPY (all or nothing: an unknown run id aborts the whole batch).
    /// Returns the number of rows written.
    /// </summary>
    public async Task<ulong> AppendAsync(IReadOnlyCollection<MetricPoint> points, CancellationToken ct = default)
    {
        // Checked before the COPY starts, so a bad point cannot leave a half-sent stream behind.
        foreach (var p in points)
        {
            RegistryIds.Validate(p.RunId, "metric run id");
            if (string.IsNullOrWhiteSpace(p.Name)) throw new ArgumentException($"metric name is empty (run {p.RunId}, step {p.Step})");
            if (p.Step < 0) throw new ArgumentException($"metric step must be >= 0, got {p.Step} for {p.Name}");
        }
        if (points.Count == 0) return 0;
        return await _db.RunAsync(async conn =>
        {
            await using var copy = await conn.BeginBinaryImportAsync("COPY metric_points (run_id, name, step, value) FROM STDIN (FORMAT BINARY)", ct);
            foreach (var p in points)
            {
                await copy.StartRowAsync(ct);
                await copy.WriteAsync(p.RunId, NpgsqlDbType.Text, ct);
                await copy.WriteAsync(p.Name, NpgsqlDbType.Text, ct);
                await copy.WriteAsync(p.Step, NpgsqlDbType.Bigint, ct);
                await copy.WriteAsync(p.Value, NpgsqlDbType.Double, ct);
            }
            return await copy.CompleteAsync(ct);
        }, ct);
    }

    /// <summary>The series in step order. Several values at one step (a re-logged step) all come back, oldest first.</summary>
    public Task<List<StepValue>> ReadAsync(string runId, string name, long fromStep = 0, long toStep = long.MaxValue, CancellationToken ct = default) =>
        _db.QueryAsync("""
            SELECT step, value FROM metric_points
            WHERE run_id = $1 AND name = $2 AND step BETWEEN $3 AND $4
            ORDER BY step, recorded_at
            """, r => new StepValue(r.GetInt64(0), r.GetDouble(1)), ct, RegistryIds.Validate(runId, "run id"), name, fromStep, toStep);

    /// <summary>Every metric name a run has logged, with point count, step range and latest value.</summary>
    public Task<List<MetricSeriesSummary>> SummariseAsync(string runId, CancellationToken ct = default) =>
        _db.QueryAsync("""
            SELECT name, count(*), min(step), max(step), (array_agg(value ORDER BY step DESC, recorded_at DESC))[1]
            FROM metric_points WHERE run_id = $1
            GROUP BY name ORDER BY name
            """, r => new MetricSeriesSummary(r.GetString(0), r.GetInt64(1), r.GetInt64(2), r.GetInt64(3), r.GetDouble(4)), ct,
            RegistryIds.Validate(runId, "run id"));

    /// <summary>
    /// Drops points logged after <paramref name="step"/>: a run resuming from the checkpoint at that step re-logs them,
    /// and the old ones belong to a timeline that was lost. Returns the number removed.
    /// </summary>
    public Task<int> DeleteAfterStepAsync(string runId, long step, CancellationToken ct = default) =>
        _db.ExecuteAsync("DELETE FROM metric_points WHERE run_id = $1 AND step > $2", ct, RegistryIds.Validate(runId, "run id"), step);

    /// <summary>Each run's newest value of each of <paramref name="names"/> with its step (what `train-sae` and `sweep`
    /// show live while runs train; the trainer logs them every LogEvery steps, between checkpoints).</summary>
    public Task<List<(string RunId, string Name, long Step, double Value)>> LatestAsync(IReadOnlyCollection<string> runIds, IReadOnlyCollection<string> names,
        CancellationToken ct = default) =>
        runIds.Count == 0 ? Task.FromResult(new List<(string, string, long, double)>()) : _db.QueryAsync("""
            SELECT DISTINCT ON (run_id, name) run_id, name, step, value FROM metric_points
            WHERE run_id = ANY($1) AND name = ANY($2)
            ORDER BY run_id, name, step DESC, recorded_at DESC
            """, r => (r.GetString(0), r.GetString(1), r.GetInt64(2), r.GetDouble(3)), ct, runIds.ToArray(), names.ToArray());
}
