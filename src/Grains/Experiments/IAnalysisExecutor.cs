using MMInterp.Grains.Placement;
using MMInterp.Grains.Contracts.Experiments;

namespace MMInterp.Grains.Experiments;

/// <summary>
/// The kernel-backed analyses behind the Experiment grain, registered in each accelerator silo's services. Loads the
/// named model and dictionary, runs the analysis of <see cref="AnalysisSpec.Kind"/>, stores its pictures in the
/// artefact store and returns what to record. Throws ArgumentException for a bad spec (unknown kind, missing
/// dictionary, hook not in the model).
/// </summary>
public interface IAnalysisExecutor
{
    /// <param name="slot">The device slot the experiment holds while it runs; the analysis loads its model there.</param>
    Task<AnalysisOutcome> RunAsync(string experimentId, AnalysisSpec spec, Func<int, int, string, Task> progress, DeviceSlot slot, CancellationToken ct);
}
