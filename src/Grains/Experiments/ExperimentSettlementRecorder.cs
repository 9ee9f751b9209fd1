using MMInterp.Grains.Contracts.Jobs;
using MMInterp.Grains.Lifecycle;

namespace MMInterp.Grains.Experiments;

/// <summary>
/// What the Experiment grain's settlement records: its analysis run (the runs table) and the experiment itself, so a
/// failed experiment carries its status and error where lists and pages read them. Everything else goes to the runs.
/// </summary>
sealed class ExperimentSettlementRecorder(IRunRecorder runs, IExperimentRecorder experiments) : IRunRecorder
{
    public Task StartedAsync(string id, string kind, string configJson, long totalSteps, string? parentId, CancellationToken ct = default) =>
        runs.StartedAsync(id, kind, configJson, totalSteps, parentId, ct);

    public Task ProgressAsync(string id, long step, double fraction, CancellationToken ct = default) => runs.ProgressAsync(id, step, fraction, ct);

    public Task ProgressAsync(string id, long step, double fraction, string stage, CancellationToken ct = default) =>
        runs.ProgressAsync(id, step, fraction, stage, ct);

    public async Task FinishedAsync(string id, JobPhase phase, string? error, CancellationToken ct = default)
    {
        await experiments.FinishedAsync(id, phase, error, ct);
        await runs.FinishedAsync(id, phase, error, ct);
    }
}
