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
        const int W = 640, H = 400, L = 50, R = 20, T = 40, Bm = 50;
        using var surface = SKSurface.Create(new SKImageInfo(W, H));
        var c = surface.Canvas;
        c.Clear(SKColors.White);
        using var axis = new SKPaint { Color = SKColors.Black, StrokeWidth = 1, IsAntialias = true };
        using var bar = new SKPaint { Color = new SKColor(70, 110, 190), Style = SKPaintStyle.Fill };
        using var text = new SKPaint { Color = SKColors.Black, TextSize = 13, IsAntialias = true };
        int max = Math.Max(1, counts.Max());
        float pw = W - L - R, ph = H - T - Bm, bw = pw / bins;
        for (int i = 0; i < bins; i++)
        {
            float h = ph * counts[i] / max;
            c.DrawRect(L + i * bw + 1, T + ph - h, bw - 2, h, bar);
        }
        c.DrawLine(L, T + ph, L + pw, T + ph, axis);
        c.DrawLine(L, T, L, T + ph, axis);
        for (int e = (int)lo; e <= (int)hi; e++)
        {
            float x = (float)(L + (e - lo) / (hi - lo) * pw);
            c.DrawLine(x, T + ph, x, T + ph + 4, axis);
            c.DrawText($"1e{e}", x - 12, T + ph + 18, text);
        }
        c.DrawText("log10 feature density", L + pw / 2 - 60, H - 12, text);
        c.DrawText(max.ToString(), 4, T + 10, text);
        c.DrawText($"{title}  (features: {density.Count}, dead: {dead})", L, 24, text);
        using var img = surface.Snapshot();
        using var data = img.Encode(SKEncodedImageFormat.Png, 100);
        IO.AtomicFile.Write(path, s => data.SaveTo(s));
    }
}
