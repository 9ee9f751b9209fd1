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
        var frame = new BarFrame(left, top, width - left - right, height - top - bottom);
        var key = series.Select((s, k) => (s.Name, Colour: Palette[k % Palette.Length])).ToList();
        frame.Draw(r);
        r.Text(title, 8, 8, BarFrame.Ink);
        r.Text(yLabel, left, top - 16, BarFrame.Ink, scale: 1);
        frame.Groups(r, groups.Select((label, g) => (label, (IReadOnlyList<double>)series.Select(s => s.Values[g]).ToList())).ToList(),
            key.Select(k => k.Colour).ToList());
        Legend.Draw(r, key, k => (left + k % 2 * 230, height - 40 + k / 2 * 16), BarFrame.Ink, textScale: 1);
        r.SavePng(path);
    }
}
