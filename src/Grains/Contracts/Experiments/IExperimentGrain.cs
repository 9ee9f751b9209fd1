using MMInterp.Grains.Contracts.Jobs;

namespace MMInterp.Grains.Contracts.Experiments;

/// <summary>
/// An experiment: one analysis over registered artefacts, run on an accelerator silo and recorded in the registry
/// (experiments row, feature statistics, labels). Start is idempotent for the same spec.
/// </summary>
public interface IExperimentGrain : IGrainWithStringKey
{
    Task<JobProgress> Start(AnalysisSpec spec);
    Task<JobProgress> Status();
    Task Cancel();
    /// <summary>Called by the executor while it works.</summary>
    Task ReportProgress(int done, int total, string note);
}
