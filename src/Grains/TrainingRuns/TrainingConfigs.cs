using System.Text.Json;
using MMInterp.Grains.Contracts.Jobs;
using MMInterp.Kernels.Sae;
using MMInterp.Kernels.Sae.Training;

namespace MMInterp.Grains.TrainingRuns;

/// <summary>
/// A training run's SAE and training configs checked by the kernels' own validation when the run is started, and its
/// sizes against the memory of the silo it would train on, so a bad or impossible one is refused with its reason
/// before anything is persisted, launched or allocated (rather than failing inside the grain, or growing until the
/// process runs out of memory).
/// </summary>
public static class TrainingConfigs
{
    /// <param name="memoryBytes">What the sizes must fit in (0: unknown, not checked).</param>
    public static void Check(string what, IReadOnlyCollection<(string RunId, TrainingRunSpec Spec)> runs, long memoryBytes)
    {
        var saes = runs.Select(r => Parse(r.RunId, r.Spec)).ToList();
        if (memoryBytes <= 0 || runs.Count == 0) return;
        var batch = runs.First().Spec.BatchSize;
        var needed = TrainingFootprint.Bytes(saes, batch);
        if (needed > memoryBytes)
            throw new ArgumentException($"{what} needs about {Gib(needed)} GiB to train (d_sae {string.Join(", ", saes.Select(s => s.DSae).Distinct())}, " +
                $"d_in {saes[0].DIn}, batch {batch}) but its silo has {Gib(memoryBytes)} GiB; use a smaller dictionary or batch (or, for a sweep, a smaller --pack-size)");
    }

    static SaeConfig Parse(string runId, TrainingRunSpec spec)
    {
        var sae = Parse(runId, "SAE config", () => SaeConfig.FromJson(spec.SaeConfigJson));
        Parse(runId, "training config", () => SaeTrainingConfig.FromJson(spec.TrainingConfigJson));
        return sae;
    }

    static T Parse<T>(string runId, string what, Func<T> parse)
    {
        try { return parse(); }
        catch (Exception e) when (e is ArgumentException or JsonException or FormatException)
        {
            throw new ArgumentException($"training run '{runId}': {what}: {Lifecycle.JobFailure.Reason(e)}", e);
        }
    }

    static string Gib(double bytes) => (bytes / (1L << 30)).ToString(bytes < 10L << 30 ? "F1" : "N0", System.Globalization.CultureInfo.InvariantCulture);
}
