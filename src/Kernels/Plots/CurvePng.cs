using SkiaSharp;

namespace MMInterp.Kernels.Plots;

/// <summary>One metric against step (training curves).</summary>
public static class CurvePng
{
    public static void Write(string path, IReadOnlyList<(double X, double Y)> points, string title, string xLabel, string yLabel)
    {
        const int width = 720, height = 420, left = 80, right = 30, top = 50, bottom = 60;
        var finite = LinePlotFrame.Drawable(points);
        if (finite.Count < 2) throw new ArgumentException("a curve needs at least two finite points");
        var frame = new LinePlotFrame(finite, left, top, width - left - right, height - top - bottom);

        using var r = new Raster(width, height, SKColors.White);
        frame.Draw(r, xFormat: "0");
        r.Text(title, left, 12, LinePlotFrame.Ink);
        r.Text(xLabel, left + frame.Width / 2 - 20, height - 26, LinePlotFrame.Ink);
        r.Text(yLabel, 8, top - 24, LinePlotFrame.Ink);
        frame.Line(r, finite, new SKColor(30, 110, 220), 2);
        r.SavePng(path);
    }
}
