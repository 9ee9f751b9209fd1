using SkiaSharp;

namespace MMInterp.Kernels.Plots;

/// <summary>Several named series against a shared x axis (e.g. probe accuracy against noise level, one line per
/// attribute), each with an optional dashed reference level (its chance).</summary>
public static class SeriesPlotPng
{
    static readonly SKColor[] Palette =
    [
        new(220, 40, 40), new(30, 110, 220), new(30, 160, 60), new(200, 120, 0), new(140, 50, 180), new(90, 90, 90),
    ];

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
            var colour = Palette[k % Palette.Length];
            frame.Line(r, lines[k], colour, 2.5f);
            foreach (var p in lines[k]) r.FillRect(frame.X(p.X) - 3, frame.Y(p.Y) - 3, 6, 6, colour);
            if (series[k].Reference is { } reference)
                for (float x = frame.Left; x < frame.Right; x += 8) r.Line(x, frame.Y(reference), Math.Min(x + 4, frame.Right), frame.Y(reference), colour.WithAlpha(140));
            r.FillRect(frame.Right + 14, top + 8 + k * 18, 14, 8, colour);
            r.Text(series[k].Name, frame.Right + 34, top + 7 + k * 18, ink);
        }
        if (series.Any(s => s.Reference is not null)) r.Text("dashed: chance", frame.Right + 14, top + 12 + series.Count * 18, ink);
        r.SavePng(path);
    }
}
