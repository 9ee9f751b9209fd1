using System.Globalization;
using SkiaSharp;

namespace MMInterp.Kernels.Plots;

/// <summary>L0 (x) against FVU (y) for the runs of a sweep; the Pareto front is joined and drawn in red.</summary>
public static class ParetoPlotPng
{
    public static void Write(string path, IReadOnlyList<(string Label, double L0, double Fvu, bool OnFront)> points, string title)
    {
        const int width = 720, height = 460, left = 70, right = 30, top = 50, bottom = 60;
        var finite = points.Where(p => double.IsFinite(p.L0) && double.IsFinite(p.Fvu)).ToList();
        if (finite.Count == 0) throw new ArgumentException("no finished run has finite L0 and FVU to plot");
        double xMax = Math.Max(1, finite.Max(p => p.L0)) * 1.1, yMax = Math.Max(0.05, finite.Max(p => p.Fvu)) * 1.1;
        int plotW = width - left - right, plotH = height - top - bottom;
        float X(double l0) => left + (float)(plotW * l0 / xMax);
        float Y(double fvu) => top + (float)(plotH * (1 - fvu / yMax));

        using var r = new Raster(width, height, SKColors.White);
        var axis = new SKColor(60, 60, 60);
        var grid = new SKColor(225, 225, 225);
        for (var i = 0; i <= 5; i++)
        {
            var fvu = yMax * i / 5;
            r.Line(left, Y(fvu), left + plotW, Y(fvu), grid);
            r.Text(fvu.ToString("0.00", CultureInfo.InvariantCulture), 8, (int)Y(fvu) - 5, axis);
            var l0 = xMax * i / 5;
            r.Text(l0.ToString("0", CultureInfo.InvariantCulture), (int)X(l0) - 6, top + plotH + 8, axis);
        }
        r.Line(left, top, left, top + plotH, axis, 2);
        r.Line(left, top + plotH, left + plotW, top + plotH, axis, 2);
        r.Text(title, left, 12, axis);
        r.Text("L0 (active latents per input)", left + plotW / 2 - 120, height - 26, axis);
        r.Text("FVU", 8, top - 24, axis);

        var red = new SKColor(210, 40, 40);
        var front = finite.Where(p => p.OnFront).OrderBy(p => p.L0).ToList();
        for (var i = 1; i < front.Count; i++)
            r.Line(X(front[i - 1].L0), Y(front[i - 1].Fvu), X(front[i].L0), Y(front[i].Fvu), red, 2);
        foreach (var p in finite)
        {
            var colour = p.OnFront ? red : new SKColor(70, 110, 190);
            r.FillRect(X(p.L0) - 4, Y(p.Fvu) - 4, 8, 8, colour);
            r.Text(p.Label, (int)X(p.L0) + 7, (int)Y(p.Fvu) - 14, colour, scale: 1);
        }
        r.SavePng(path);
    }
}
