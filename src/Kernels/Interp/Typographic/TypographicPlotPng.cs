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
        const int width = 560, left = 50, right = 20, plotH = 240, pad = 8;
        var recovered = result.Recovered is { } v ? v.ToString("F2") : "n/a";
        var random = result.RandomRecovered is { } w ? w.ToString("F2") : "n/a";
        var heading = TextBlock.Fit($"zero-shot accuracy; recovered {recovered} (random {random}), clean cost {result.CleanCost:F2}", width - 2 * pad);
        var groups = result.ByAttribute.Append(result.Overall)
            .Select(a => ($"{(a.Attribute?.ToString().ToLowerInvariant() ?? "all")} words ({a.Images})",
                (IReadOnlyList<double>)[a.Clean, a.Attacked, a.Suppressed, a.RandomSuppressed]))
            .ToList();
        var top = (int)MathF.Ceiling(pad + heading.Height + 14);
        var labels = BarFrame.Labels(groups.Select(g => g.Item1).ToList(), width - left - right);
        var (_, legendHeight) = Legend.Flow(Bars.Select(b => b.Name).ToList(), width - left - pad);
        var legendY = (int)MathF.Ceiling(top + plotH + 2 + labels.Height + 12);
        using var r = new Raster(width, legendY + legendHeight + pad, SKColors.White);
        var frame = new BarFrame(left, top, width - left - right, plotH);
        frame.Draw(r);
        heading.Draw(r, pad, pad, BarFrame.Ink);
        frame.Groups(r, groups, Bars.Select(b => b.Colour).ToList(), labels: labels);
        Legend.DrawFlow(r, Bars, left, legendY, width - left - pad, BarFrame.Ink);
        r.SavePng(path);
    }
}
