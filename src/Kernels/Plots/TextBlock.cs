using SkiaSharp;

namespace MMInterp.Kernels.Plots;

/// <summary>
/// A title or note laid out to a width before the picture is sized: the text whole if it fits, else shrunk by up to a
/// fifth, else wrapped at spaces onto several lines (a word wider than the width is broken). Nothing is ever cut.
/// </summary>
public sealed class TextBlock
{
    const float MinShrink = 0.8f;

    TextBlock(IReadOnlyList<string> lines, float size) => (Lines, Size) = (lines, size);

    public IReadOnlyList<string> Lines { get; }
    public float Size { get; }

    /// <summary>Logical pixels from the first line's top to below the last one's descenders.</summary>
    public float Height => (Lines.Count - 1) * Raster.LineHeight(Size) + 1.05f * Size;

    public float Width => Lines.Max(l => Raster.TextWidth(l, Size));

    /// <param name="scale">text scale as in <see cref="ChartFont.Size"/></param>
    public static TextBlock Fit(string text, float maxWidth, int scale = 2)
    {
        if (maxWidth <= 0) throw new ArgumentException($"text needs a positive width, got {maxWidth}", nameof(maxWidth));
        var size = ChartFont.Size(scale);
        var width = Raster.TextWidth(text, size);
        if (width <= maxWidth) return new TextBlock([text], size);
        if (width * MinShrink <= maxWidth) return new TextBlock([text], size * maxWidth / width * 0.999f);
        return new TextBlock(Wrap(text, maxWidth, size), size);
    }

    /// <summary>Draws the lines from (x, y) down; returns the height used.</summary>
    public float Draw(Raster r, float x, float y, SKColor colour)
    {
        for (var i = 0; i < Lines.Count; i++) r.Text(Lines[i], x, y + i * Raster.LineHeight(Size), colour, Size);
        return Height;
    }

    internal static List<string> Wrap(string text, float maxWidth, float size)
    {
        var lines = new List<string>();
        var line = "";
        foreach (var word in text.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = line.Length == 0 ? word : line + " " + word;
            if (Raster.TextWidth(candidate, size) <= maxWidth) { line = candidate; continue; }
            if (line.Length > 0) lines.Add(line);
            line = word;
            // A word too wide for a line on its own is broken where it must be.
            while (Raster.TextWidth(line, size) > maxWidth && line.Length > 1)
            {
                var n = line.Length - 1;
                while (n > 1 && Raster.TextWidth(line[..n], size) > maxWidth) n--;
                lines.Add(line[..n]);
                line = line[n..];
            }
        }
        if (line.Length > 0 || lines.Count == 0) lines.Add(line);
        return lines;
    }
}
