using MMInterp.Grains.Contracts.Experiments;

namespace MMInterp.Grains.Experiments;

/// <summary>Where the Experiment grain records in the registry. Idempotent: a restarted analysis records again safely.</summary>
public interface IExperimentRecorder
{
    Task CreatedAsync(string experimentId, AnalysisSpec spec, CancellationToken ct = default);
    Task RecordAsync(string experimentId, AnalysisSpec spec, AnalysisOutcome outcome, CancellationToken ct = default);
}
