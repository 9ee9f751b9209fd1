using System.Text.Json;
using MMInterp.Grains.Contracts.Jobs;
using MMInterp.Kernels.Sae;
using MMInterp.Kernels.Sae.Training;

namespace MMInterp.Grains.TrainingRuns;

/// <summary>
/// A training run's SAE and training configs checked by the kernels' own validation when the run is started, so a bad
/// one is refused with its reason before anything is persisted or launched (rather than failing inside the grain).
/// </summary>
public static class TrainingConfigs
{
    public static void Check(string runId, TrainingRunSpec spec)
    {
        Parse(runId, "SAE config", () => SaeConfig.FromJson(spec.SaeConfigJson));
        Parse(runId, "training config", () => SaeTrainingConfig.FromJson(spec.TrainingConfigJson));
    }

    static void Parse(string runId, string what, Action parse)
    {
        try { parse(); }
        catch (Exception e) when (e is ArgumentException or JsonException or FormatException)
        {
            throw new ArgumentException($"training run '{runId}': {what}: {Lifecycle.JobFailure.Reason(e)}", e);
        }
    }
}
