using MMInterp.Kernels.Plots;
using MMInterp.Kernels.ShapesWorld;
using SkiaSharp;

namespace MMInterp.Kernels.Interp.Steering;

/// <summary>Steering results, one panel per feature: mean zero-shot probability of every value of the target's
/// attribute before (grey) and after (coloured) the clamp; the target value's bars are outlined.</summary>
public static class SteeringPlotPng
{
    const int PanelW = 220, PanelH = 150, Columns = 4, Margin = 10;
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
        using var r = new Raster(columns * PanelW + 2 * Margin, rows * PanelH + 2 * Margin + 16, SKColors.White);
        r.Text("mean zero-shot probability: grey before, blue after the clamp; target outlined", Margin, 6, Ink);
        for (var i = 0; i < shown.Count; i++)
            Panel(r, shown[i], Margin + i % columns * PanelW, Margin + 16 + i / columns * PanelH);
        r.SavePng(path);
    }

    static void Panel(Raster r, FeatureSteering t, int x0, int y0)
    {
        const int left = 8, top = 30, bottom = 22;
        var plotW = PanelW - 2 * left;
        var plotH = PanelH - top - bottom;
        var values = t.MeanBefore.Count;
        r.Text($"f{t.Feature} to {t.Target.Label}{(t.Steerable ? " (s)" : "")}", x0 + left, y0 + 2, Ink);
        r.Text($"d={t.Delta:F2} flip={t.FlipShare:F2}", x0 + left, y0 + 15, Ink);
        var baseY = y0 + top + plotH;
        r.Line(x0 + left, baseY, x0 + left + plotW, baseY, Ink);
        var slot = plotW / (float)values;
        var bar = Math.Max(2f, slot / 2 - 2);
        for (var v = 0; v < values; v++)
        {
            var x = x0 + left + v * slot + 1;
            var hb = (float)(Math.Clamp(t.MeanBefore[v], 0, 1) * plotH);
            var ha = (float)(Math.Clamp(t.MeanAfter[v], 0, 1) * plotH);
            r.FillRect(x, baseY - hb, bar, hb, Before);
            r.FillRect(x + bar, baseY - ha, bar, ha, After);
            if (v == t.Target.Value)
            {
                var top2 = baseY - Math.Max(hb, ha) - 3;
                r.Line(x - 1, top2, x + 2 * bar + 1, top2, Ink, 1.5f);
                r.Line(x - 1, top2, x - 1, baseY, Ink, 1.5f);
                r.Line(x + 2 * bar + 1, top2, x + 2 * bar + 1, baseY, Ink, 1.5f);
            }
            var word = AttributeWords.Words(t.Target.Attribute)[v];
            r.Text(word[..Math.Min(3, word.Length)], (int)x, (int)baseY + 5, Ink);
        }
    }
}
