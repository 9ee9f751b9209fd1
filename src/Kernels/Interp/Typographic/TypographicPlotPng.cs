using MMInterp.Kernels.Plots;
using SkiaSharp;

namespace MMInterp.Kernels.Interp.Typographic;

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
        using var r = new Raster(width, height, SKColors.White);
        var frame = new BarFrame(left, top, width - left - right, height - top - bottom);
        frame.Draw(r);
        var recovered = result.Recovered is { } v ? v.ToString("F2") : "n/a";
        var random = result.RandomRecovered is { } w ? w.ToString("F2") : "n/a";
        r.Text($"zero-shot accuracy; recovered {recovered} (random {random}), clean cost {result.CleanCost:F2}", left, 12, BarFrame.Ink);
        var groups = result.ByAttribute.Append(result.Overall)
            .Select(a => ($"{(a.Attribute?.ToString().ToLowerInvariant() ?? "all")} words ({a.Images})",
                (IReadOnlyList<double>)[a.Clean, a.Attacked, a.Suppressed, a.RandomSuppressed]))
            .ToList();
        frame.Groups(r, groups, Bars.Select(b => b.Colour).ToList());
        Legend.Draw(r, Bars, b => (left + b % 2 * 250, height - 40 + b / 2 * 16), BarFrame.Ink);
        r.SavePng(path);
    }
}
