using System.Globalization;
using MMInterp.Grains.Contracts.Jobs;

namespace MMInterp.Client.Platform;

/// <summary>
/// The words beside a progress bar, from a grain's status alone: a training run's step and its live loss, FVU and L0
/// ("step 312/2000 loss 0.0123 FVU 0.0840 L0 31.9"), a sweep's runs done and the figures of its best running run, an
/// analysis' stage ("3/100 steering: clamp features ..."), otherwise done/total.
/// </summary>
public static class ProgressLine
{
    public static string Of(JobProgress p) => p.Live is { } live && !p.Finished
        ? p.Kind == "sweep"
            ? $"{p.Note ?? $"{p.Done}/{p.Total} runs done"}, step {live.Step}/{live.Steps}, best running {Figures(live)}"
            : $"step {live.Step}/{live.Steps} {Figures(live)}"
        : p.Note is { Length: > 0 } note ? $"{p.Done}/{p.Total} {note}" : $"{p.Done}/{p.Total}";

    /// <summary>"loss 0.0123 FVU 0.0840 L0 31.9", leaving out a figure that is not finite.</summary>
    public static string Figures(TrainingFigures f) => string.Join(' ', new[]
    {
        double.IsFinite(f.Loss) ? string.Create(CultureInfo.InvariantCulture, $"loss {f.Loss:G4}") : null,
        double.IsFinite(f.Fvu) ? string.Create(CultureInfo.InvariantCulture, $"FVU {f.Fvu:F4}") : null,
        double.IsFinite(f.L0) ? string.Create(CultureInfo.InvariantCulture, $"L0 {f.L0:F1}") : null,
    }.Where(s => s is not null));
}
