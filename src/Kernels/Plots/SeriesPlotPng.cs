using SkiaSharp;

namespace MMInterp.Kernels.Plots;

/// <summary>Several named series against a shared x axis (e.g. probe accuracy against noise level, one line per
/// attribute), each with an optional dashed reference level (its chance).</summary>
public static class SeriesPlotPng
{
    public sealed record Series(string Name, IReadOnlyList<(double X, double Y)> Points, double? Reference = null);

    public static void Write(string path, IReadOnlyList<Series> series, string title, string xLabel, string yLabel, bool reverseX = false)
    {
        const int width = 720, height = 440, left = 70, right = 190, top = 44, bottom = 64;
        var lines = series.Select(s => LinePlotFrame.Drawable(s.Points)).ToList();
        if (lines.Sum(l => l.Count) < 2) throw new ArgumentException("a series plot needs at least two finite points");
        var frame = new LinePlotFrame(lines.SelectMany(l => l).ToList(), left, top, width - left - right, height - top - bottom, reverseX);
        var ink = LinePlotFrame.Ink;

        using var r = new Raster(width, height, SKColors.White);
        frame.Draw(r, xFormat: "0.##");
        r.Text(title, left, 10, ink);
        r.Text(xLabel, left, height - 26, ink);
        r.Text(yLabel, 8, top - 18, ink, scale: 1);
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
