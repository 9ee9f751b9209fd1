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
        const int left = 50, right = 20, plotH = 250, pad = 8;
        var width = Math.Max(480, left + right + groups.Count * (series.Count * 36 + 30));
        var heading = TextBlock.Fit(title, width - 2 * pad);
        var yText = TextBlock.Fit(yLabel, width - left - pad, scale: 1);
        var top = (int)MathF.Ceiling(pad + heading.Height + 8 + yText.Height + 8);
        var labels = BarFrame.Labels(groups, width - left - right);
        var key = series.Select((s, k) => (s.Name, Colour: Palette[k % Palette.Length])).ToList();
        var (_, legendHeight) = Legend.Flow(key.Select(k => k.Name).ToList(), width - left - pad, textScale: 1);
        var note = labels.Key is { } full ? TextBlock.Fit(full, width - 2 * pad, scale: 1) : null;
        var legendY = (int)MathF.Ceiling(top + plotH + 2 + labels.Height + 10);
        var height = (int)MathF.Ceiling(legendY + legendHeight + (note is null ? 0 : note.Height + 6) + pad);

        using var r = new Raster(width, height, SKColors.White);
        var frame = new BarFrame(left, top, width - left - right, plotH);
        frame.Draw(r);
        heading.Draw(r, pad, pad, BarFrame.Ink);
        yText.Draw(r, left, pad + heading.Height + 8, BarFrame.Ink);
        frame.Groups(r, groups.Select((label, g) => (label, (IReadOnlyList<double>)series.Select(s => s.Values[g]).ToList())).ToList(),
            key.Select(k => k.Colour).ToList(), labels: labels);
        Legend.DrawFlow(r, key, left, legendY, width - left - pad, BarFrame.Ink, textScale: 1);
        note?.Draw(r, pad, legendY + legendHeight + 6, BarFrame.Ink);
        r.SavePng(path);
    }
}
