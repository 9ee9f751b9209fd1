using MMInterp.Grains.Contracts.Jobs;
using MMInterp.Grains.Lifecycle;
using MMInterp.Grains.Registry;

namespace MMInterp.Silo.Work;

/// <summary>Records jobs, runs and sweeps in the registry's runs table; every call tolerates being repeated.</summary>
public sealed class RegistryRunRecorder(RegistryStore registry) : IRunRecorder
{
    public async Task StartedAsync(string id, string kind, string configJson, long totalSteps, string? parentId, CancellationToken ct = default)
    {
        var existing = await registry.Runs.GetAsync(id, ct);
        if (existing is null)
        {
            try
            {
                // An analysis run is its experiment's (same id; the Experiment grain records the experiment first).
                var experimentId = kind == "analysis" && await registry.Experiments.GetAsync(id, ct) is not null ? id : null;
                await registry.Runs.CreateAsync(new NewRun(KindOf(kind), configJson, totalSteps, parentId, experimentId, Id: id), ct);
            }
            catch (RegistryConflictException)
            {
                // Created concurrently by an earlier activation of the same job: fine.
            }
            existing = await registry.Runs.GetAsync(id, ct);
        }
        if (existing is { Status: RunStatus.Pending })
            await registry.Runs.SetStatusAsync(id, RunStatus.Running, ct: ct);
    }

    public Task ProgressAsync(string id, long step, double fraction, CancellationToken ct = default) => Report(id, step, fraction, null, ct);

    public Task ProgressAsync(string id, long step, double fraction, string stage, CancellationToken ct = default) => Report(id, step, fraction, stage, ct);

    async Task Report(string id, long step, double fraction, string? stage, CancellationToken ct)
    {
        // One round trip: the update itself only touches an open run; a late report on a finished (or unknown) run
        // is dropped, as before.
        try
        {
            await registry.Runs.ReportProgressAsync(id, step, Math.Clamp(fraction, 0, 1), ct, stage);
        }
        catch (Exception e) when (e is RegistryConflictException or RegistryNotFoundException)
        {
        }
    }

    public async Task FinishedAsync(string id, JobPhase phase, string? error, CancellationToken ct = default)
    {
        var run = await registry.Runs.GetAsync(id, ct);
        if (run is null || run.IsTerminal) return;
        var status = phase switch
        {
            JobPhase.Succeeded => RunStatus.Succeeded,
            JobPhase.Failed => RunStatus.Failed,
            JobPhase.Cancelled => RunStatus.Cancelled,
            _ => throw new ArgumentException($"phase {phase} does not finish a run"),
        };
        await registry.Runs.SetStatusAsync(id, status, error, ct);
    }

    static RunKind KindOf(string kind) => kind switch
    {
        "extraction" => RunKind.Extraction,
        "training" => RunKind.SaeTraining,
        "sweep" => RunKind.Sweep,
        "analysis" => RunKind.Analysis,
        "zoo" => RunKind.ModelTraining,
        _ => throw new ArgumentException($"unknown job kind '{kind}'"),
    };
}
