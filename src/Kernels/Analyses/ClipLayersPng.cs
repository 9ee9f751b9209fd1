using System.Globalization;
using MMInterp.Kernels.Plots;
using SkiaSharp;

namespace MMInterp.Kernels.Analyses;

/// <summary>The per-layer chart: one panel per measure of <see cref="ClipLayers.Measures"/>, one group of bars per layer,
/// the figure (colour) with its controls (grey; the free-label positive control green) beside it. A value outside [0, 1]
/// stops at the frame; one not measured draws no bar. The values are printed under each group.</summary>
public static class ClipLayersPng
{
    static readonly SKColor Figure = new(30, 110, 220), Positive = new(30, 160, 60), Control = new(170, 170, 170);

    public static void Write(IReadOnlyList<ClipLayerRow> rows, string title, string path)
    {
        if (rows.Count == 0) throw new ArgumentException("nothing to draw: no layers", nameof(rows));
        const int left = 50, right = 20, top = 34, plotH = 150, panelGap = 16;
        var measures = ClipLayers.Measures;
        var widest = measures.Max(m => m.Controls.Count + 1);
        const int legendAt = left + 180;
        // Each legend entry: swatch, 20 px, its name, then a gap; the widest panel's legend sets the least width.
        static int[] LegendX(IReadOnlyList<string> names)
        {
            var x = new int[names.Count];
            for (var k = 1; k < names.Count; k++) x[k] = x[k - 1] + 20 + Raster.TextWidth(names[k - 1], 1) + 24;
            return x;
        }
        var legend = measures.Max(m => { var names = m.Controls.Prepend(m.Figure).ToList(); return LegendX(names)[^1] + 20 + Raster.TextWidth(names[^1], 1); });
        var width = Math.Max(Math.Max(520, legendAt + legend + right), left + right + rows.Count * Math.Max(140, widest * 34 + 30));
        var heading = TextBlock.Fit(title, width - 16);
        var header = (int)MathF.Ceiling(8 + heading.Height + 8);
        // Layer names under the bars (level, or turned when long), then each group's values in small print.
        var labels = BarFrame.Labels(rows.Select(row => row.Layer).ToList(), width - left - right);
        var below = (int)MathF.Ceiling(2 + labels.Height + 4 + 14);
        var panel = top + plotH + below + panelGap;
        var note = labels.Key is { } full ? TextBlock.Fit(full, width - 16, scale: 1) : null;
        using var r = new Raster(width, header + measures.Count * panel + (note is null ? 0 : (int)MathF.Ceiling(note.Height) + 8), SKColors.White);
        note?.Draw(r, 8, header + measures.Count * panel, BarFrame.Ink);
        heading.Draw(r, 8, 8, BarFrame.Ink);
        for (var p = 0; p < measures.Count; p++)
        {
            var m = measures[p];
            var y0 = header + p * panel;
            var frame = new BarFrame(left, y0 + top, width - left - right, plotH);
            frame.Draw(r);
            var colours = m.Controls.Select(c => c == "free_label_accuracy_concept_directions" ? Positive : Control).Prepend(Figure).ToList();
            var names = m.Controls.Prepend(m.Figure).ToList();
            r.Text(m.Title, left, y0 + 6, BarFrame.Ink);
            var xs = LegendX(names);
            Legend.Draw(r, names.Select((n, k) => (n, colours[k])).ToList(), k => (legendAt + xs[k], y0 + 8), BarFrame.Ink, textScale: 1);
            frame.Groups(r, rows.Select(row => (row.Layer, (IReadOnlyList<double>)names.Select(n => row[n]).ToList())).ToList(), colours, labels: labels);
            var slot = frame.Width / (float)rows.Count;
            for (var g = 0; g < rows.Count; g++)
            {
                var values = string.Join(" / ", names.Select(n => Format(rows[g][n])));
                r.TextFit(values, left + (g + 0.5f) * slot, frame.Bottom + 2 + labels.Height + 4, slot - 8, BarFrame.Ink, scale: 1, SKTextAlign.Center);
            }
        }
        r.SavePng(path);
    }

    static string Format(double v) => double.IsFinite(v) ? v.ToString("0.00", CultureInfo.InvariantCulture) : "n/a";
}
