using MMInterp.Kernels.Interp.Vlm;
using SkiaSharp;

namespace MMInterp.Kernels.Plots;

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
        var ink = new SKColor(60, 60, 60);
        var (plotW, plotH) = (width - left - right, height - top - bottom);
        float Y(double rate) => top + plotH * (float)(1 - Math.Clamp(rate, 0, 1));
        for (var tick = 0; tick <= 10; tick += 2)
        {
            r.Line(left, Y(tick / 10.0), left + plotW, Y(tick / 10.0), new SKColor(225, 225, 225));
            r.Text($"{tick / 10.0:0.0}", left - 34, (int)Y(tick / 10.0) - 5, ink);
        }
        r.Line(left, top + plotH, left + plotW, top + plotH, ink, 1.5f);
        r.Text($"answer turned to the concept: steered {result.Success:F2}, random {result.RandomControl:F2}, unsteered {result.Baseline:F2}", left, 12, ink);
        var groups = concepts.Select(c => (Label: c.Word, Values: new[] { c.Success, c.RandomControl, c.Baseline }))
            .Append((Label: "all", Values: new[] { result.Success, result.RandomControl, result.Baseline })).ToList();
        var slot = plotW / (float)groups.Count;
        var bar = (slot - 12) / Bars.Length;
        for (var g = 0; g < groups.Count; g++)
        {
            var x0 = left + g * slot + 6;
            for (var b = 0; b < Bars.Length; b++)
                r.FillRect(x0 + b * bar, Y(groups[g].Values[b]), bar - 1, top + plotH - Y(groups[g].Values[b]), Bars[b].Colour);
            r.Text(groups[g].Label, (int)x0, top + plotH + 8, ink);
        }
        for (var b = 0; b < Bars.Length; b++)
        {
            r.FillRect(left + b * 160, height - 30, 14, 8, Bars[b].Colour);
            r.Text(Bars[b].Name, left + b * 160 + 20, height - 31, ink);
        }
        r.SavePng(path);
    }
}
