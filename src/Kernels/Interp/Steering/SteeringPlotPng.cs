using MMInterp.Kernels.Plots;
using MMInterp.Kernels.ShapesWorld;
using SkiaSharp;

namespace MMInterp.Kernels.Interp.Steering;

/// <summary>Steering results, one panel per feature: mean zero-shot probability of every value of the target's
/// attribute before (grey) and after (coloured) the clamp; the target value's bars are outlined.</summary>
public static class SteeringPlotPng
{
    const int PanelW = 220, PlotH = 98, Columns = 4, Margin = 10, Left = 8, HeaderH = 30;
    static readonly SKColor Ink = new(60, 60, 60);
    static readonly SKColor Before = new(170, 170, 170);
    static readonly SKColor After = new(30, 110, 220);

    /// <summary>Draws the first <paramref name="maxPanels"/> trials in the order given.</summary>
    public static void Write(IReadOnlyList<FeatureSteering> trials, string path, int maxPanels = 12)
    {
        if (trials.Count == 0) throw new ArgumentException("no steering trials to plot", nameof(trials));
        if (maxPanels < 1) throw new ArgumentException($"maxPanels must be at least 1, got {maxPanels}", nameof(maxPanels));
        var shown = trials.Take(maxPanels).ToList();
        foreach (var t in shown)
            if (t.MeanBefore.Count != AttributeWords.Count(t.Target.Attribute) || t.MeanAfter.Count != t.MeanBefore.Count)
                throw new ArgumentException($"feature {t.Feature}: {t.MeanBefore.Count}/{t.MeanAfter.Count} bar values for {AttributeWords.Count(t.Target.Attribute)} {t.Target.Attribute} values", nameof(trials));
        var columns = Math.Min(Columns, shown.Count);
        var rows = (shown.Count + columns - 1) / columns;
        var width = columns * PanelW + 2 * Margin;
        // The attribute's words under each panel's bars, level or turned: every panel gets the room the tallest needs.
        var labels = shown.Select(t => CategoryLabels.Fit(AttributeWords.Words(t.Target.Attribute), (PanelW - 2 * Left) / (float)t.MeanBefore.Count, scale: 1)).ToList();
        var panelH = (int)MathF.Ceiling(HeaderH + PlotH + labels.Max(l => l.Height) + 8);
        var heading = TextBlock.Fit("mean zero-shot probability: grey before, blue after the clamp; target outlined", width - 2 * Margin);
        var top = (int)MathF.Ceiling(Margin + heading.Height + 8);
        using var r = new Raster(width, top + rows * panelH + Margin, SKColors.White);
        heading.Draw(r, Margin, Margin, Ink);
        for (var i = 0; i < shown.Count; i++)
            Panel(r, shown[i], labels[i], Margin + i % columns * PanelW, top + i / columns * panelH);
        r.SavePng(path);
    }

    static void Panel(Raster r, FeatureSteering t, CategoryLabels labels, int x0, int y0)
    {
        var plotW = PanelW - 2 * Left;
        var values = t.MeanBefore.Count;
        r.TextFit($"f{t.Feature} to {t.Target.Label}{(t.Steerable ? " (s)" : "")}", x0 + Left, y0 + 2, plotW, Ink);
        r.TextFit($"d={t.Delta:F2} flip={t.FlipShare:F2}", x0 + Left, y0 + 16, plotW, Ink, scale: 1);
        var baseY = y0 + HeaderH + PlotH;
        r.Line(x0 + Left, baseY, x0 + Left + plotW, baseY, Ink);
        var slot = plotW / (float)values;
        var bar = Math.Max(2f, slot / 2 - 2);
        for (var v = 0; v < values; v++)
        {
            var x = x0 + Left + v * slot + 1;
            var hb = (float)(Math.Clamp(t.MeanBefore[v], 0, 1) * PlotH);
            var ha = (float)(Math.Clamp(t.MeanAfter[v], 0, 1) * PlotH);
            r.FillRect(x, baseY - hb, bar, hb, Before);
            r.FillRect(x + bar, baseY - ha, bar, ha, After);
            if (v == t.Target.Value)
            {
                var top2 = baseY - Math.Max(hb, ha) - 3;
                r.Line(x - 1, top2, x + 2 * bar + 1, top2, Ink, 1.5f);
                r.Line(x - 1, top2, x - 1, baseY, Ink, 1.5f);
                r.Line(x + 2 * bar + 1, top2, x + 2 * bar + 1, baseY, Ink, 1.5f);
            }
        }
        labels.Draw(r, v => x0 + Left + v * slot + 1 + bar, baseY, Ink);
    }
}
