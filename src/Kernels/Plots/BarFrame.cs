using System.Globalization;
using SkiaSharp;

namespace MMInterp.Kernels.Plots;

/// <summary>
/// The frame of a bar chart of shares in [0, 1] (<see cref="GroupedBarPng"/>, and the typographic and VLM steering charts
/// of the analyses): grid lines every 0.2 with their values, the base line, and groups of bars side by side
/// in equal slots, each group labelled under the base line (<see cref="CategoryLabels"/>: level, or turned when long).
/// </summary>
public sealed class BarFrame(int left, int top, int width, int height)
{
    public static readonly SKColor Ink = new(60, 60, 60);
    static readonly SKColor Grid = new(225, 225, 225);

    public int Left => left;
    public int Top => top;
    public int Width => width;
    public int Height => height;
    public int Right => left + width;
    public int Bottom => top + height;

    /// <summary>A share's height; shares outside [0, 1] stop at the frame's edge.</summary>
    public float Y(double share) => Top + Height * (float)(1 - Math.Clamp(share, 0, 1));

    /// <summary>How <paramref name="labels"/> sit under a frame <paramref name="plotWidth"/> wide, one slot each: lay the
    /// chart out with its <see cref="CategoryLabels.Height"/> below the frame before drawing.</summary>
    public static CategoryLabels Labels(IReadOnlyList<string> labels, float plotWidth) =>
        CategoryLabels.Fit(labels, plotWidth / labels.Count);

    public void Draw(Raster r)
    {
        for (var tick = 0; tick <= 10; tick += 2)
        {
            r.Line(Left, Y(tick / 10.0), Right, Y(tick / 10.0), Grid);
            r.Text((tick / 10.0).ToString("0.0", CultureInfo.InvariantCulture), Left - 6, Y(tick / 10.0) - 4, Ink, ChartFont.Size(2), SKTextAlign.Right);
        }
        r.Line(Left, Bottom, Right, Bottom, Ink, 1.5f);
    }

    /// <summary>Each group's values as bars, bar b in <paramref name="colours"/>[b]; a value that is NaN (not measured)
    /// draws no bar.</summary>
    /// <param name="margin">space between a slot's edge and its first or last bar</param>
    /// <param name="gap">space after each bar</param>
    /// <param name="labels">the groups' labels as laid out (<see cref="Labels"/>); fitted here when not given</param>
    public void Groups(Raster r, IReadOnlyList<(string Label, IReadOnlyList<double> Values)> groups, IReadOnlyList<SKColor> colours,
        int margin = 10, int gap = 2, CategoryLabels? labels = null)
    {
        var slot = Width / (float)groups.Count;
        var bar = (slot - 2 * margin) / colours.Count;
        for (var g = 0; g < groups.Count; g++)
        {
            var x0 = Left + g * slot + margin;
            for (var b = 0; b < colours.Count; b++)
            {
                var v = groups[g].Values[b];
                if (!double.IsNaN(v)) r.FillRect(x0 + b * bar, Y(v), bar - gap, Bottom - Y(v), colours[b]);
            }
        }
        labels ??= Labels(groups.Select(g => g.Label).ToList(), Width);
        labels.Draw(r, g => Left + (g + 0.5f) * slot, Bottom + 2, Ink);
    }
}
