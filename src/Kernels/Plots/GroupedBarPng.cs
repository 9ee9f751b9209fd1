using SkiaSharp;

namespace MMInterp.Kernels.Plots;

/// <summary>Grouped bars of shares in [0, 1]: one group per label, one bar per series (e.g. steering success against its
/// controls per step window).</summary>
public static class GroupedBarPng
{
    public sealed record Series(string Name, IReadOnlyList<double> Values);

    static readonly SKColor[] Palette = [new(30, 110, 220), new(170, 170, 170), new(230, 140, 30), new(30, 160, 60), new(210, 40, 40)];

    public static void Write(string path, IReadOnlyList<string> groups, IReadOnlyList<Series> series, string title, string yLabel)
    {
        if (groups.Count == 0 || series.Count == 0) throw new ArgumentException("a bar chart needs at least one group and one series");
        if (series.Any(s => s.Values.Count != groups.Count))
            throw new ArgumentException($"every series needs one value per group ({groups.Count})");
        const int left = 50, right = 20, top = 40, bottom = 70, height = 360;
        var width = Math.Max(480, left + right + groups.Count * (series.Count * 36 + 30));
        using var r = new Raster(Math.Max(width, Raster.TextWidth(title) + 16), height, SKColors.White);
        var ink = new SKColor(60, 60, 60);
        var plotW = width - left - right;
        var plotH = height - top - bottom;
        float Y(double v) => top + plotH * (float)(1 - Math.Clamp(double.IsNaN(v) ? 0 : v, 0, 1));
        for (var tick = 0; tick <= 10; tick += 2)
        {
            r.Line(left, Y(tick / 10.0), left + plotW, Y(tick / 10.0), new SKColor(225, 225, 225));
            r.Text($"{tick / 10.0:0.0}", left - 34, (int)Y(tick / 10.0) - 5, ink);
        }
        r.Line(left, top + plotH, left + plotW, top + plotH, ink, 1.5f);
        r.Text(title, 8, 8, ink);
        r.Text(yLabel, left, top - 16, ink, scale: 1);
        var slot = plotW / (float)groups.Count;
        var bar = (slot - 20) / series.Count;
        for (var g = 0; g < groups.Count; g++)
        {
            var x0 = left + g * slot + 10;
            for (var s = 0; s < series.Count; s++)
            {
                var v = series[s].Values[g];
                r.FillRect(x0 + s * bar, Y(v), bar - 2, top + plotH - Y(v), Palette[s % Palette.Length]);
            }
            r.Text(groups[g], (int)x0, top + plotH + 8, ink);
        }
        for (var s = 0; s < series.Count; s++)
        {
            var x = left + s % 2 * 230;
            var y = height - 40 + s / 2 * 16;
            r.FillRect(x, y, 14, 8, Palette[s % Palette.Length]);
            r.Text(series[s].Name, x + 20, y - 1, ink, scale: 1);
        }
        r.SavePng(path);
    }
}
