using MMInterp.Kernels.Interp.Features;

namespace MMInterp.Kernels.Interp.DataStudy;

/// <summary>One feature's row of a study on a user's dataset.</summary>
/// <param name="Density">share of tokens where it fires</param>
/// <param name="ImageDensity">share of study images where it fires on some token</param>
/// <param name="BestLabel">the dataset label it detects best (null unlabelled)</param>
/// <param name="FreeLabels">its free labels, best first (empty when it was not among the labelled features)</param>
/// <param name="Steering">its steering trial, when it was clamped</param>
/// <param name="TextReading">it is among the word-reading features the defence suppressed</param>
/// <param name="Pictures">top_examples and histogram paths when it got a dashboard</param>
public sealed record DataFeatureReport(int Index, double Density, double ImageDensity, double MeanActivation, double MaxActivation,
    string? BestLabel, double BestAuroc, IReadOnlyList<LabelScore> FreeLabels, LabelSteering? Steering, bool TextReading,
    IReadOnlyDictionary<string, string> Pictures);

/// <summary>A headline figure as measured, beside its controls as measured (controls not measured are left out).</summary>
public sealed record MeasuredFigure(string Figure, double Value, IReadOnlyList<(string Name, double Value)> Controls, string Meaning);

/// <summary>Everything the study measured: figures by the names of <see cref="ClipDataStudyFigures"/> (controls
/// included), pictures by name (PNG paths), one report per feature, the images skipped, and notes on how to read them.</summary>
public sealed record ClipDataStudyResult(
    string Hook,
    string Dataset,
    string Vocabulary,
    bool Labelled,
    ClipDataStudyOptions Options,
    IReadOnlyDictionary<string, double> Figures,
    IReadOnlyDictionary<string, string> Pictures,
    IReadOnlyList<DataFeatureReport> Features,
    IReadOnlyList<SkippedImage> Skipped,
    IReadOnlyDictionary<string, string> Notes)
{
    /// <summary>The headline figures that were measured, each with its measured controls, in report order.</summary>
    public IReadOnlyList<MeasuredFigure> Headlines =>
        ClipDataStudyFigures.Headlines.Where(h => Figures.ContainsKey(h.Figure))
            .Select(h => new MeasuredFigure(h.Figure, Figures[h.Figure],
                h.Controls.Where(Figures.ContainsKey).Select(c => (c, Figures[c])).ToList(), h.Meaning))
            .ToList();
}
