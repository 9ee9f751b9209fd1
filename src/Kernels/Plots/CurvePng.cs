using SkiaSharp;

namespace MMInterp.Kernels.Plots;

/// <summary>One metric against step (training curves).</summary>
public static class CurvePng
{
    public static void Write(string path, IReadOnlyList<(double X, double Y)> points, string title, string xLabel, string yLabel)
    {
        const int width = 720, plotH = 319, left = 80, right = 30, pad = 8;
        var finite = LinePlotFrame.Drawable(points);
        if (finite.Count < 2) throw new ArgumentException("a curve needs at least two finite points");
        var heading = TextBlock.Fit(title, width - 2 * pad);
        var yText = TextBlock.Fit(yLabel, width - 2 * pad);
        var xText = TextBlock.Fit(xLabel, width - left - right);
        var top = (int)MathF.Ceiling(pad + heading.Height + 8 + yText.Height + 10);
        var height = (int)MathF.Ceiling(top + plotH + 28 + xText.Height + pad);
        var frame = new LinePlotFrame(finite, left, top, width - left - right, plotH);

        using var r = new Raster(width, height, SKColors.White);
        frame.Draw(r);
        heading.Draw(r, pad, pad, LinePlotFrame.Ink);
        yText.Draw(r, pad, pad + heading.Height + 8, LinePlotFrame.Ink);
        xText.Draw(r, left + (frame.Width - xText.Width) / 2, frame.Bottom + 28, LinePlotFrame.Ink);
        frame.Line(r, finite, new SKColor(30, 110, 220), 2);
        r.SavePng(path);
    }
}
