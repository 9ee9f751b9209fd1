using System.Text.Json;
using MMInterp.Grains.Contracts.Experiments;
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
        if (await registry.Experiments.GetAsync(experimentId, ct) is not null) return;
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
