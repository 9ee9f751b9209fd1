using System.Globalization;
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
        var points = series.SelectMany(s => s.Points).Where(p => double.IsFinite(p.X) && double.IsFinite(p.Y)).ToList();
        if (points.Count < 2) throw new ArgumentException("a series plot needs at least two finite points");
        double x0 = points.Min(p => p.X), x1 = points.Max(p => p.X);
        if (x1 <= x0) x1 = x0 + 1;
        double y0 = Math.Min(0, points.Min(p => p.Y)), y1 = Math.Max(1e-9, points.Max(p => p.Y)) * 1.05;
        int plotW = width - left - right, plotH = height - top - bottom;
        float X(double x) => left + (float)(plotW * (reverseX ? (x1 - x) : (x - x0)) / (x1 - x0));
        float Y(double y) => top + (float)(plotH * (1 - (y - y0) / (y1 - y0)));
        using var r = new Raster(width, height, SKColors.White);
        var axis = new SKColor(60, 60, 60);
        for (var i = 0; i <= 5; i++)
        {
            var y = y0 + (y1 - y0) * i / 5;
            r.Line(left, Y(y), left + plotW, Y(y), new SKColor(225, 225, 225));
            r.Text(y.ToString("G3", CultureInfo.InvariantCulture), 8, (int)Y(y) - 5, axis);
            var x = x0 + (x1 - x0) * i / 5;
            r.Text(x.ToString("0.##", CultureInfo.InvariantCulture), (int)X(x) - 8, top + plotH + 8, axis);
        }
        r.Line(left, top, left, top + plotH, axis, 2);
        r.Line(left, top + plotH, left + plotW, top + plotH, axis, 2);
        r.Text(title, left, 10, axis);
        r.Text(xLabel, left, height - 26, axis);
        r.Text(yLabel, 8, top - 18, axis, scale: 1);
        for (var k = 0; k < series.Count; k++)
        {
            var colour = Palette[k % Palette.Length];
            var s = series[k].Points.Where(p => double.IsFinite(p.X) && double.IsFinite(p.Y)).OrderBy(p => p.X).ToList();
            for (var i = 1; i < s.Count; i++) r.Line(X(s[i - 1].X), Y(s[i - 1].Y), X(s[i].X), Y(s[i].Y), colour, 2.5f);
            foreach (var p in s) r.FillRect(X(p.X) - 3, Y(p.Y) - 3, 6, 6, colour);
            if (series[k].Reference is { } reference)
                for (float x = left; x < left + plotW; x += 8) r.Line(x, Y(reference), Math.Min(x + 4, left + plotW), Y(reference), colour.WithAlpha(140));
            r.FillRect(left + plotW + 14, top + 8 + k * 18, 14, 8, colour);
            r.Text(series[k].Name, left + plotW + 34, top + 7 + k * 18, axis);
        }
        if (series.Any(s => s.Reference is not null)) r.Text("dashed: chance", left + plotW + 14, top + 12 + series.Count * 18, axis);
        r.SavePng(path);
    }
}
