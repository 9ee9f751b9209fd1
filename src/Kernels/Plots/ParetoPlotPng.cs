using SkiaSharp;

namespace MMInterp.Kernels.Plots;

/// <summary>L0 (x) against FVU (y) for the runs of a sweep; the Pareto front is joined and drawn in red.</summary>
public static class ParetoPlotPng
{
    public static void Write(string path, IReadOnlyList<(string Label, double L0, double Fvu, bool OnFront)> points, string title)
    {
        const int width = 720, plotH = 340, left = 70, right = 30, pad = 8;
        var finite = points.Where(p => double.IsFinite(p.L0) && double.IsFinite(p.Fvu)).ToList();
        if (finite.Count == 0) throw new ArgumentException("no finished run has finite L0 and FVU to plot");
        // Both axes from 0 (no latents, perfect reconstruction) to the round value at or past 10% beyond the farthest run.
        var x = NiceTicks.Widen(0, Math.Max(1, finite.Max(p => p.L0)) * 1.1);
        var y = NiceTicks.Widen(0, Math.Max(0.05, finite.Max(p => p.Fvu)) * 1.1);
        var heading = TextBlock.Fit(title, width - 2 * pad);
        var top = (int)MathF.Ceiling(pad + heading.Height + 8 + ChartFont.Size(2) * 1.05f + 10);
        var height = top + plotH + 28 + 14 + pad;
        var frame = new LinePlotFrame(x, y, left, top, width - left - right, plotH);
        var ink = LinePlotFrame.Ink;

        using var r = new Raster(width, height, SKColors.White);
        frame.Draw(r);
        heading.Draw(r, pad, pad, ink);
        r.Text("L0 (active latents per input)", frame.Left + frame.Width / 2f, frame.Bottom + 28, ink, ChartFont.Size(2), SKTextAlign.Center);
        r.Text("FVU", pad, pad + heading.Height + 8, ink, ChartFont.Size(2));

        var red = new SKColor(210, 40, 40);
        frame.Line(r, finite.Where(p => p.OnFront).Select(p => (p.L0, p.Fvu)).OrderBy(p => p.L0).ToList(), red, 2);
        foreach (var p in finite)
        {
            var colour = p.OnFront ? red : new SKColor(70, 110, 190);
            r.FillRect(frame.X(p.L0) - 4, frame.Y(p.Fvu) - 4, 8, 8, colour);
            // A label that would pass the right edge goes to the point's left.
            var labelX = frame.X(p.L0) + 7;
            var align = labelX + Raster.TextWidth(p.Label, 1) > width - 2 ? SKTextAlign.Right : SKTextAlign.Left;
            r.Text(p.Label, align == SKTextAlign.Left ? labelX : frame.X(p.L0) - 7, frame.Y(p.Fvu) - 14, colour, ChartFont.Size(1), align);
        }
        r.SavePng(path);
    }
}
