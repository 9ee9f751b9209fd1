using MMInterp.Kernels.Interp.Typographic;
using SkiaSharp;

namespace MMInterp.Kernels.Plots;

/// <summary>Typographic defence: zero-shot accuracy clean, attacked, attacked with the text features suppressed and
/// with random features suppressed, for colour words, shape words and all scenes.</summary>
public static class TypographicPlotPng
{
    static readonly (string Name, SKColor Colour)[] Bars =
    [
        ("clean", new(30, 160, 60)), ("attacked", new(210, 40, 40)), ("text features off", new(30, 110, 220)), ("random features off", new(170, 170, 170)),
    ];

    public static void Write(TypographicResult result, string path)
    {
        const int width = 560, height = 360, left = 50, right = 20, top = 40, bottom = 80;
        var groups = result.ByAttribute.Append(result.Overall).ToList();
        using var r = new Raster(width, height, SKColors.White);
        var ink = new SKColor(60, 60, 60);
        var plotW = width - left - right;
        var plotH = height - top - bottom;
        float Y(double acc) => top + plotH * (float)(1 - Math.Clamp(acc, 0, 1));
        for (var tick = 0; tick <= 10; tick += 2)
        {
            r.Line(left, Y(tick / 10.0), left + plotW, Y(tick / 10.0), new SKColor(225, 225, 225));
            r.Text($"{tick / 10.0:0.0}", left - 34, (int)Y(tick / 10.0) - 5, ink);
        }
        r.Line(left, top + plotH, left + plotW, top + plotH, ink, 1.5f);
        var recovered = result.Recovered is { } v ? v.ToString("F2") : "n/a";
        var random = result.RandomRecovered is { } w ? w.ToString("F2") : "n/a";
        r.Text($"zero-shot accuracy; recovered {recovered} (random {random}), clean cost {result.CleanCost:F2}", left, 12, ink);
        var slot = plotW / (float)groups.Count;
        var bar = (slot - 20) / Bars.Length;
        for (var g = 0; g < groups.Count; g++)
        {
            var a = groups[g];
            double[] values = [a.Clean, a.Attacked, a.Suppressed, a.RandomSuppressed];
            var x0 = left + g * slot + 10;
            for (var b = 0; b < Bars.Length; b++)
                r.FillRect(x0 + b * bar, Y(values[b]), bar - 2, top + plotH - Y(values[b]), Bars[b].Colour);
            r.Text($"{(a.Attribute?.ToString().ToLowerInvariant() ?? "all")} words ({a.Images})", (int)x0, top + plotH + 8, ink);
        }
        for (var b = 0; b < Bars.Length; b++)
        {
            r.FillRect(left + b % 2 * 250, height - 40 + b / 2 * 16, 14, 8, Bars[b].Colour);
            r.Text(Bars[b].Name, left + b % 2 * 250 + 20, height - 41 + b / 2 * 16, ink);
        }
        r.SavePng(path);
    }
}
