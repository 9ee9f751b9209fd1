using SkiaSharp;

namespace MMInterp.Kernels.Plots;

/// <summary>
/// How a plot of several named lines (<see cref="SeriesPlotPng"/>, the probe sweep's chart) marks them: a colour per
/// series, the line with a square at each point, its reference level (chance) dashed, and the key beside the plot.
/// </summary>
public static class SeriesMarks
{
    static readonly SKColor[] Palette =
    [
        new(220, 40, 40), new(30, 110, 220), new(30, 160, 60), new(200, 120, 0), new(140, 50, 180), new(90, 90, 90),
    ];

    public static SKColor Colour(int series) => Palette[series % Palette.Length];

    /// <summary>The series' points (in pixels, in x order) joined, each with a square on it.</summary>
    public static void Line(Raster r, IReadOnlyList<SKPoint> points, SKColor colour)
    {
        r.Polyline(points, colour, 2.5f);
        foreach (var p in points) r.FillRect(p.X - 3, p.Y - 3, 6, 6, colour);
    }

    /// <summary>A dashed level from <paramref name="left"/> to <paramref name="right"/>, lighter than the line so that
    /// the data stays in front.</summary>
    public static void Dashed(Raster r, float left, float right, float y, SKColor colour)
    {
        for (var x = left; x < right; x += 8) r.Line(x, y, Math.Min(x + 4, right), y, colour.WithAlpha(140));
    }

    /// <summary>Width the key of these series takes (swatch, name; or the chance line).</summary>
    public static int KeyWidth(IReadOnlyList<string> names) =>
        Math.Max(Raster.TextWidth("dashed: chance"), names.Select(n => 20 + Raster.TextWidth(n)).DefaultIfEmpty(0).Max());

    /// <summary>The key: a row per series from (x, y) down, then, where any level is dashed, a line saying it is chance.</summary>
    public static void Key(Raster r, IReadOnlyList<(string Name, SKColor Colour)> series, int x, int y, bool dashedChance, SKColor ink)
    {
        Legend.Draw(r, series, k => (x, y + k * 18), ink);
        if (dashedChance) r.Text("dashed: chance", x, y + 4 + series.Count * 18, ink);
    }
}
