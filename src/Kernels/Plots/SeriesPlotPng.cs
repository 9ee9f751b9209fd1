using SkiaSharp;

namespace MMInterp.Kernels.Plots;

/// <summary>Several named series against a shared x axis (e.g. probe accuracy against noise level, one line per
/// attribute), each with an optional dashed reference level (its chance).</summary>
public static class SeriesPlotPng
{
    public sealed record Series(string Name, IReadOnlyList<(double X, double Y)> Points, double? Reference = null);

    public static void Write(string path, IReadOnlyList<Series> series, string title, string xLabel, string yLabel, bool reverseX = false)
    {
        const int plotW = 460, plotH = 330, left = 70, pad = 8;
        var lines = series.Select(s => LinePlotFrame.Drawable(s.Points)).ToList();
        if (lines.Sum(l => l.Count) < 2) throw new ArgumentException("a series plot needs at least two finite points");
        // The key beside the plot is as wide as its longest name.
        var keyWidth = Math.Max(SeriesMarks.KeyWidth(series.Select(s => s.Name).ToList()), 100);
        var width = left + plotW + 14 + keyWidth + pad;
        var heading = TextBlock.Fit(title, width - 2 * pad);
        var yText = TextBlock.Fit(yLabel, width - 2 * pad, scale: 1);
        var xText = TextBlock.Fit(xLabel, plotW);
        var top = (int)MathF.Ceiling(pad + heading.Height + 8 + yText.Height + 10);
        var height = (int)MathF.Ceiling(top + plotH + 28 + xText.Height + pad);
        var frame = new LinePlotFrame(lines.SelectMany(l => l).ToList(), left, top, plotW, plotH, reverseX);
        var ink = LinePlotFrame.Ink;

        using var r = new Raster(width, height, SKColors.White);
        frame.Draw(r);
        heading.Draw(r, pad, pad, ink);
        yText.Draw(r, pad, pad + heading.Height + 8, ink);
        xText.Draw(r, left + (plotW - xText.Width) / 2, frame.Bottom + 28, ink);
        for (var k = 0; k < series.Count; k++)
        {
            SeriesMarks.Line(r, frame.At(lines[k]), SeriesMarks.Colour(k));
            if (series[k].Reference is { } reference) SeriesMarks.Dashed(r, frame.Left, frame.Right, frame.Y(reference), SeriesMarks.Colour(k));
        }
        SeriesMarks.Key(r, series.Select((s, k) => (s.Name, SeriesMarks.Colour(k))).ToList(), frame.Right + 14, top + 8,
            dashedChance: series.Any(s => s.Reference is not null), ink);
        r.SavePng(path);
    }
}
