using MMInterp.Kernels.Plots;
using SkiaSharp;

namespace MMInterp.Kernels.Sae.Metrics;

/// <summary>Feature-density histogram as a PNG: log10 firing density of live features in bins, dead ones counted in the title.</summary>
public static class DensityHistogram
{
    public static int[] Bin(IReadOnlyList<float> density, double lo, double hi, int bins, out int dead)
    {
        var counts = new int[bins];
        dead = 0;
        foreach (var d in density)
        {
            if (d <= 0) { dead++; continue; }
            double l = Math.Log10(d);
            int b = (int)Math.Floor((l - lo) / (hi - lo) * bins);
            counts[Math.Clamp(b, 0, bins - 1)]++;
        }
        return counts;
    }

    public static void WritePng(string path, IReadOnlyList<float> density, string title, int bins = 40)
    {
        const double lo = -7, hi = 0;
        var counts = Bin(density, lo, hi, bins, out int dead);
        const int W = 640, L = 60, R = 20, Bm = 50, Ph = 300, Pad = 8;
        var heading = TextBlock.Fit($"{title}  (features: {density.Count}, dead: {dead})", W - 2 * Pad);
        var T = (int)MathF.Ceiling(Pad + heading.Height + 14);
        using var r = new Raster(W, T + Ph + Bm, SKColors.White);
        var ink = new SKColor(60, 60, 60);
        var barColour = new SKColor(70, 110, 190);
        int max = Math.Max(1, counts.Max());
        float pw = W - L - R, bw = pw / bins;
        for (int i = 0; i < bins; i++)
        {
            float h = (float)Ph * counts[i] / max;
            r.FillRect(L + i * bw + 1, T + Ph - h, bw - 2, h, barColour);
        }
        r.Line(L, T + Ph, L + pw, T + Ph, ink);
        r.Line(L, T, L, T + Ph, ink);
        for (int e = (int)lo; e <= (int)hi; e++)
        {
            float x = (float)(L + (e - lo) / (hi - lo) * pw);
            r.Line(x, T + Ph, x, T + Ph + 4, ink);
            r.Text($"1e{e}", x, T + Ph + 8, ink, ChartFont.Size(2), SKTextAlign.Center);
        }
        // Counts on a linear scale: round ticks up to the tallest bin.
        var ticks = NiceTicks.Within(0, max, 4);
        foreach (var v in ticks.Values)
        {
            var y = T + Ph - (float)(Ph * v / max);
            r.Line(L - 4, y, L, y, ink);
            r.Text(ticks.Label(v), L - 6, y - 4, ink, ChartFont.Size(2), SKTextAlign.Right);
        }
        r.Text("log10 feature density", L + pw / 2, T + Ph + 28, ink, ChartFont.Size(2), SKTextAlign.Center);
        heading.Draw(r, Pad, Pad, ink);
        r.SavePng(path);
    }
}
