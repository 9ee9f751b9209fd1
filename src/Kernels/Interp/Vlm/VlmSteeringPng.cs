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
        const int left = 50, right = 20, top = 40, bottom = 70, height = 340;
        var width = Math.Max(480, left + right + 70 * (concepts.Count + 1));
        using var r = new Raster(width, height, SKColors.White);
        var frame = new BarFrame(left, top, width - left - right, height - top - bottom);
        frame.Draw(r);
        r.Text($"answer turned to the concept: steered {result.Success:F2}, random {result.RandomControl:F2}, unsteered {result.Baseline:F2}", left, 12, BarFrame.Ink);
        var groups = concepts.Select(c => (c.Word, (IReadOnlyList<double>)[c.Success, c.RandomControl, c.Baseline]))
            .Append(("all", [result.Success, result.RandomControl, result.Baseline])).ToList();
        // Slots are only 70 px wide with many concepts: narrower margins leave the bars room.
        frame.Groups(r, groups, Bars.Select(b => b.Colour).ToList(), margin: 6, gap: 1);
        Legend.Draw(r, Bars, b => (left + b * 160, height - 30), BarFrame.Ink);
        r.SavePng(path);
    }
}
