using MMInterp.Kernels.Plots;
using SkiaSharp;

namespace MMInterp.Kernels.Interp.Vlm;

/// <summary>VLM steering through the vision encoder: per concept, the share of answers turned to it when its feature is
/// clamped, beside the equal-norm random-direction control and the unsteered rate.</summary>
public static class VlmSteeringPng
{
    static readonly (string Name, SKColor Colour)[] Bars =
    [
        ("feature clamped", new(30, 110, 220)), ("random direction", new(170, 170, 170)), ("unsteered", new(230, 150, 40)),
    ];

    public static void Write(VlmSteeringResult result, string path)
    {
        var concepts = result.Concepts;
        if (concepts.Count == 0) throw new ArgumentException("the steering result has no concepts to plot", nameof(result));
        const int left = 50, right = 20, plotH = 230, pad = 8;
        var width = Math.Max(480, left + right + 70 * (concepts.Count + 1));
        var heading = TextBlock.Fit($"answer turned to the concept: steered {result.Success:F2}, random {result.RandomControl:F2}, unsteered {result.Baseline:F2}", width - 2 * pad);
        var groups = concepts.Select(c => (c.Word, (IReadOnlyList<double>)[c.Success, c.RandomControl, c.Baseline]))
            .Append(("all", [result.Success, result.RandomControl, result.Baseline])).ToList();
        var top = (int)MathF.Ceiling(pad + heading.Height + 14);
        var labels = BarFrame.Labels(groups.Select(g => g.Item1).ToList(), width - left - right);
        var note = labels.Key is { } full ? TextBlock.Fit(full, width - 2 * pad, scale: 1) : null;
        var (_, legendHeight) = Legend.Flow(Bars.Select(b => b.Name).ToList(), width - left - pad);
        var legendY = (int)MathF.Ceiling(top + plotH + 2 + labels.Height + 12);
        var height = (int)MathF.Ceiling(legendY + legendHeight + (note is null ? 0 : note.Height + 6) + pad);
        using var r = new Raster(width, height, SKColors.White);
        var frame = new BarFrame(left, top, width - left - right, plotH);
        frame.Draw(r);
        heading.Draw(r, pad, pad, BarFrame.Ink);
        // Slots are only 70 px wide with many concepts: narrower margins leave the bars room.
        frame.Groups(r, groups, Bars.Select(b => b.Colour).ToList(), margin: 6, gap: 1, labels: labels);
        Legend.DrawFlow(r, Bars, left, legendY, width - left - pad, BarFrame.Ink);
        note?.Draw(r, pad, legendY + legendHeight + 6, BarFrame.Ink);
        r.SavePng(path);
    }
}
