using System.Globalization;
using MMInterp.Grains.Contracts.Jobs;
using MMInterp.Grains.Registry;

namespace MMInterp.Client.Platform;

/// <summary>
/// What a training run or sweep is doing between checkpoints: the grains report progress at checkpoints, but the
/// trainer logs loss, FVU and L0 to the registry every LogEvery steps (metric_points). Following a run reads the
/// newest logged step, so the bar moves with every logged step and shows the live figures.
/// </summary>
public static class LiveTraining
{
    static readonly string[] Names = ["loss", "fvu", "l0"];

    /// <summary>The run's live fraction and note ("step 300/2000 loss 0.0123 FVU 0.084 L0 31.9"), or null before its first log.</summary>
    public static Func<JobProgress, Task<(double Fraction, string Note)?>> Run(RegistryStore registry, string runId, long totalSteps, CancellationToken ct) =>
        async progress =>
        {
            if (progress.Finished) return null;
            var latest = await registry.Metrics.LatestAsync([runId], Names, ct);
            if (latest.Count == 0) return null;
            var step = Math.Max(latest.Max(p => p.Step), progress.Done);
            var v = latest.ToDictionary(p => p.Name, p => p.Value);
            return (totalSteps == 0 ? 0 : Math.Clamp((double)step / totalSteps, 0, 1), $"step {step}/{totalSteps} {Figures(v)}");
        };

    /// <summary>A sweep's live fraction (mean over its runs of their newest logged step) and the best FVU logged so far.</summary>
    public static Func<JobProgress, Task<(double Fraction, string Note)?>> Sweep(RegistryStore registry, ISweepGrain sweep, long stepsPerRun, CancellationToken ct) =>
        async progress =>
        {
            if (progress.Finished || stepsPerRun == 0) return null;
            var runs = (await sweep.Results()).ToList();
            if (runs.Count == 0) return null;
            var latest = await registry.Metrics.LatestAsync(runs.Select(r => r.RunId).ToList(), Names, ct);
            var byRun = latest.GroupBy(p => p.RunId).ToDictionary(g => g.Key, g => g.ToList());
            var fraction = runs.Average(r => r.Phase is JobPhase.Succeeded or JobPhase.Failed or JobPhase.Cancelled ? 1.0
                : byRun.TryGetValue(r.RunId, out var points) ? Math.Clamp((double)points.Max(p => p.Step) / stepsPerRun, 0, 1) : 0);
            var best = byRun.Values.Select(p => p.ToDictionary(x => x.Name, x => x.Value)).Where(v => v.ContainsKey("fvu"))
                .OrderBy(v => v["fvu"]).FirstOrDefault();
            var done = runs.Count(r => r.Phase is JobPhase.Succeeded or JobPhase.Failed or JobPhase.Cancelled);
            return (fraction, $"{done}/{runs.Count} runs done{(best is null ? "" : $", best so far {Figures(best)}")}");
        };

    static string Figures(IReadOnlyDictionary<string, double> v) => string.Join(' ', new[]
    {
        v.TryGetValue("loss", out var loss) ? string.Create(CultureInfo.InvariantCulture, $"loss {loss:G4}") : null,
        v.TryGetValue("fvu", out var fvu) ? string.Create(CultureInfo.InvariantCulture, $"FVU {fvu:F4}") : null,
        v.TryGetValue("l0", out var l0) ? string.Create(CultureInfo.InvariantCulture, $"L0 {l0:F1}") : null,
    }.Where(s => s is not null));
}
