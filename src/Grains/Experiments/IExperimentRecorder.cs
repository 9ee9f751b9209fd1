using MMInterp.Grains.Contracts.Experiments;
using MMInterp.Grains.Contracts.Jobs;

namespace MMInterp.Grains.Experiments;

/// <summary>Where the Experiment grain records in the registry. Idempotent: a restarted analysis records again safely.</summary>
public interface IExperimentRecorder
{
    Task CreatedAsync(string experimentId, AnalysisSpec spec, CancellationToken ct = default);
    Task RecordAsync(string experimentId, AnalysisSpec spec, AnalysisOutcome outcome, CancellationToken ct = default);
    /// <summary>How the experiment ended and, for a failure, why: recorded as the grain settles, beside its analysis run.</summary>
    Task FinishedAsync(string experimentId, JobPhase phase, string? error, CancellationToken ct = default);
}
