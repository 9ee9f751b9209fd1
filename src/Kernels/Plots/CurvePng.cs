using System.Globalization;
using SkiaSharp;

namespace MMInterp.Kernels.Plots;

/// <summary>One metric against step (training curves).</summary>
public static class CurvePng
{
    public static void Write(string path, IReadOnlyList<(double X, double Y)> points, string title, string xLabel, string yLabel)
    {
        const int width = 720, height = 420, left = 80, right = 30, top = 50, bottom = 60;
        var finite = points.Where(p => double.IsFinite(p.X) && double.IsFinite(p.Y)).OrderBy(p => p.X).ToList();
        if (finite.Count < 2) throw new ArgumentException("a curve needs at least two finite points");
        double x0 = finite[0].X, x1 = Math.Max(finite[^1].X, x0 + 1);
        double y0 = Math.Min(0, finite.Min(p => p.Y)), y1 = finite.Max(p => p.Y) * 1.05;
        if (y1 <= y0) y1 = y0 + 1;
        int plotW = width - left - right, plotH = height - top - bottom;
        float X(double x) => left + (float)(plotW * (x - x0) / (x1 - x0));
        float Y(double y) => top + (float)(plotH * (1 - (y - y0) / (y1 - y0)));

        using var r = new Raster(width, height, SKColors.White);
        var axis = new SKColor(60, 60, 60);
        for (var i = 0; i <= 5; i++)
        {
            var y = y0 + (y1 - y0) * i / 5;
            r.Line(left, Y(y), left + plotW, Y(y), new SKColor(225, 225, 225));
            r.Text(y.ToString("G3", CultureInfo.InvariantCulture), 8, (int)Y(y) - 5, axis);
            var x = x0 + (x1 - x0) * i / 5;
            r.Text(x.ToString("0", CultureInfo.InvariantCulture), (int)X(x) - 8, top + plotH + 8, axis);
        }
        r.Line(left, top, left, top + plotH, axis, 2);
        r.Line(left, top + plotH, left + plotW, top + plotH, axis, 2);
        r.Text(title, left, 12, axis);
        r.Text(xLabel, left + plotW / 2 - 20, height - 26, axis);
        r.Text(yLabel, 8, top - 24, axis);
        var blue = new SKColor(30, 110, 220);
        for (var i = 1; i < finite.Count; i++)
            r.Line(X(finite[i - 1].X), Y(finite[i - 1].Y), X(finite[i].X), Y(finite[i].Y), blue, 2);
        r.SavePng(path);
    }
}
