using System.Text.Json;
using MMInterp.Grains.Contracts.Experiments;
using MMInterp.Grains.Contracts.Jobs;
using MMInterp.Grains.Experiments;
using MMInterp.Grains.Registry;

namespace MMInterp.Silo.Work;

/// <summary>
/// Records experiments in the registry: the experiments row (created once, results merged key by key), feature
/// statistics and labels of the analysed dictionary. Every call tolerates being repeated.
/// </summary>
public sealed class RegistryExperimentRecorder(RegistryStore registry) : IExperimentRecorder
{
    public async Task CreatedAsync(string experimentId, AnalysisSpec spec, CancellationToken ct = default)
    {
        if (await registry.Experiments.GetAsync(experimentId, ct) is { } existing)
        {
            if (existing.Status == RunStatus.Pending) await registry.Experiments.SetStatusAsync(experimentId, RunStatus.Running, ct: ct);
            return;
        }
        var config = JsonSerializer.Serialize(new
        {
            model = spec.ModelId, dictionary = spec.DictionaryId, hook = spec.HookPoint,
            options = JsonDocument.Parse(spec.OptionsJson).RootElement,
        });
        try
        {
            await registry.Experiments.CreateAsync(new NewExperiment(spec.Name ?? $"{spec.Kind} of {spec.DictionaryId ?? spec.ModelId}", spec.Kind,
                ConfigJson: config, Id: experimentId), ct);
        }
        catch (RegistryConflictException)
        {
            // Created by an earlier activation of the same experiment.
        }
        await registry.Experiments.SetStatusAsync(experimentId, RunStatus.Running, ct: ct);
    }

    public async Task FinishedAsync(string experimentId, JobPhase phase, string? error, CancellationToken ct = default)
    {
        var status = phase switch
        {
            JobPhase.Succeeded => RunStatus.Succeeded,
            JobPhase.Failed => RunStatus.Failed,
            JobPhase.Cancelled => RunStatus.Cancelled,
            _ => throw new ArgumentException($"phase {phase} does not finish an experiment"),
        };
        // A failure before the row was written (a spec refused at the start) has nothing to mark.
        if (await registry.Experiments.GetAsync(experimentId, ct) is null) return;
        await registry.Experiments.SetStatusAsync(experimentId, status, phase == JobPhase.Failed ? error ?? "no reason was recorded" : error, ct);
    }

    public async Task RecordAsync(string experimentId, AnalysisSpec spec, AnalysisOutcome outcome, CancellationToken ct = default)
    {
        if (outcome.Features.Count > 0 || outcome.Labels.Count > 0)
        {
            var dictionary = spec.DictionaryId ?? throw new ArgumentException($"analysis {spec.Kind} produced feature rows but names no dictionary");
            if (outcome.Features.Count > 0) await registry.Features.UpsertStatsAsync(dictionary, outcome.Features, ct);
            if (outcome.Labels.Count > 0)
                await registry.Features.UpsertLabelsAsync(dictionary, outcome.Labels.Select(l => l with { ExperimentId = experimentId }).ToList(), ct);
        }
        await registry.Experiments.MergeResultsAsync(experimentId, outcome.ResultsJson, ct);
    }
}
