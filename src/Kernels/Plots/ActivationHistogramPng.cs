using System.Globalization;
using SkiaSharp;

namespace MMInterp.Kernels.Plots;

/// <summary>Histogram of a feature's nonzero activations with log-scaled counts (a few strong activations stay visible
/// beside many weak ones). A feature that never fires gets an empty plot that says so.</summary>
public static class ActivationHistogramPng
{
    public static void Write(IReadOnlyList<float> activations, string title, string path, int bins = 30)
    {
        if (bins < 1) throw new ArgumentException($"bins must be positive, got {bins}", nameof(bins));
        if (activations.Any(v => !float.IsFinite(v))) throw new ArgumentException("activations contain NaN or inf", nameof(activations));
        const int width = 640, height = 360, left = 60, right = 24, top = 44, bottom = 50;
        int plotW = width - left - right, plotH = height - top - bottom;
        var nonzero = activations.Where(v => v > 0).ToArray();
        using var r = new Raster(width, height, SKColors.White);
        var axis = new SKColor(60, 60, 60);
        r.Text(title, left, 10, axis);
        r.Text(string.Create(CultureInfo.InvariantCulture, $"{nonzero.Length} of {activations.Count} nonzero, counts on a log scale"), left, 24, axis);
        r.Line(left, top, left, top + plotH, axis, 1.5f);
        r.Line(left, top + plotH, left + plotW, top + plotH, axis, 1.5f);
        if (nonzero.Length == 0)
        {
            r.Text("never fires", left + plotW / 2 - 30, top + plotH / 2, axis);
            r.SavePng(path);
            return;
        }
        var max = nonzero.Max();
        var counts = new int[bins];
        foreach (var v in nonzero) counts[Math.Min(bins - 1, (int)(v / max * bins))]++;
        var logMax = Math.Log10(1 + counts.Max());
        var barW = plotW / (float)bins;
        var blue = new SKColor(30, 110, 220);
        for (var b = 0; b < bins; b++)
        {
            var h = (float)(plotH * Math.Log10(1 + counts[b]) / logMax);
            if (h > 0) r.FillRect(left + b * barW + 1, top + plotH - h, Math.Max(1, barW - 2), h, blue);
        }
        for (var decade = 0; decade <= (int)Math.Floor(logMax); decade++)
        {
            var y = top + plotH - (float)(plotH * Math.Log10(1 + Math.Pow(10, decade)) / logMax);
            r.Line(left - 4, y, left, y, axis);
            r.Text(((int)Math.Pow(10, decade)).ToString(CultureInfo.InvariantCulture), 8, (int)y - 5, axis);
        }
        for (var i = 0; i <= 4; i++)
        {
            var x = left + plotW * i / 4f;
            r.Line(x, top + plotH, x, top + plotH + 4, axis);
            r.Text((max * i / 4).ToString("0.00", CultureInfo.InvariantCulture), (int)x - 12, top + plotH + 8, axis);
        }
        r.Text("activation", left + plotW / 2 - 30, height - 20, axis);
        r.SavePng(path);
    }
}
