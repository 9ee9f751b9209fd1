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
        // Both axes from 0 (no latents, perfect reconstruction), to 10% past the farthest run.
        double xMax = Math.Max(1, finite.Max(p => p.L0)) * 1.1, yMax = Math.Max(0.05, finite.Max(p => p.Fvu)) * 1.1;
        var frame = new LinePlotFrame(x: (0, xMax), y: (0, yMax), left, top, width - left - right, height - top - bottom);
        var ink = LinePlotFrame.Ink;

        using var r = new Raster(width, height, SKColors.White);
        frame.Draw(r, xFormat: "0", yFormat: "0.00", xValueShift: 6);
        r.Text(title, left, 12, ink);
        r.Text("L0 (active latents per input)", left + frame.Width / 2 - 120, height - 26, ink);
        r.Text("FVU", 8, top - 24, ink);

        var red = new SKColor(210, 40, 40);
        frame.Line(r, finite.Where(p => p.OnFront).Select(p => (p.L0, p.Fvu)).OrderBy(p => p.L0).ToList(), red, 2);
        foreach (var p in finite)
        {
            var colour = p.OnFront ? red : new SKColor(70, 110, 190);
            r.FillRect(frame.X(p.L0) - 4, frame.Y(p.Fvu) - 4, 8, 8, colour);
            r.Text(p.Label, (int)frame.X(p.L0) + 7, (int)frame.Y(p.Fvu) - 14, colour, scale: 1);
        }
        r.SavePng(path);
    }
}
