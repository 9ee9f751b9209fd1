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
        const int width = 640, left = 60, right = 24, bottom = 50, pad = 8, plotH = 262;
        const int plotW = width - left - right;
        var nonzero = activations.Where(v => v > 0).ToArray();
        var heading = TextBlock.Fit(title, width - 2 * pad);
        var subheading = TextBlock.Fit(string.Create(CultureInfo.InvariantCulture, $"{nonzero.Length} of {activations.Count} nonzero, counts on a log scale"), width - 2 * pad);
        var top = (int)MathF.Ceiling(pad + heading.Height + 4 + subheading.Height + 10);
        var height = top + plotH + bottom;
        using var r = new Raster(width, height, SKColors.White);
        var axis = new SKColor(60, 60, 60);
        heading.Draw(r, pad, pad, axis);
        subheading.Draw(r, pad, pad + heading.Height + 4, axis);
        r.Line(left, top, left, top + plotH, axis, 1.5f);
        r.Line(left, top + plotH, left + plotW, top + plotH, axis, 1.5f);
        if (nonzero.Length == 0)
        {
            r.Text("never fires", left + plotW / 2f, top + plotH / 2f, axis, ChartFont.Size(2), SKTextAlign.Center);
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
            r.Text(((int)Math.Pow(10, decade)).ToString("#,0", CultureInfo.InvariantCulture), left - 6, y - 4, axis, ChartFont.Size(2), SKTextAlign.Right);
        }
        // Bins span [0, max]; the ticks sit at round activations inside it.
        var ticks = NiceTicks.Within(0, max, 5);
        foreach (var value in ticks.Values)
        {
            var x = left + plotW * (float)(value / max);
            r.Line(x, top + plotH, x, top + plotH + 4, axis);
            r.Text(ticks.Label(value), x, top + plotH + 8, axis, ChartFont.Size(2), SKTextAlign.Center);
        }
        r.Text("activation", left + plotW / 2f, height - 20, axis, ChartFont.Size(2), SKTextAlign.Center);
        r.SavePng(path);
    }
}
