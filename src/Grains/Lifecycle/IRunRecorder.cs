using MMInterp.Grains.Contracts.Jobs;

namespace MMInterp.Grains.Lifecycle;

/// <summary>
/// Where job grains record what they do for the team-shared registry (the runs table), so `mminterp status`,
/// the web UI and lineage see every job, run and sweep. Calls are idempotent: a resumed job records again safely.
/// </summary>
public interface IRunRecorder
{
    Task StartedAsync(string id, string kind, string configJson, long totalSteps, string? parentId, CancellationToken ct = default);
    Task ProgressAsync(string id, long step, double fraction, CancellationToken ct = default);
    Task FinishedAsync(string id, JobPhase phase, string? error, CancellationToken ct = default);
}
