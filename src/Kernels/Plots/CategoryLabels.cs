using SkiaSharp;

namespace MMInterp.Kernels.Plots;

/// <summary>
/// Labels under the slots of a category axis. If every label fits its slot they sit level, centred; if each wraps at
/// its spaces onto at most <see cref="MaxLines"/> lines of the slot's width, they sit level on those lines; if not they
/// turn to read upwards, one per slot, so neighbours never overlap. A label longer than <see cref="MaxRotated"/>
/// is shortened with an ellipsis and its full name goes into a <see cref="Key"/> printed under the chart.
/// </summary>
public sealed class CategoryLabels
{
    /// <summary>Longest a turned label may be, in logical pixels.</summary>
    public const float MaxRotated = 140;
    /// <summary>Most lines a level label may wrap onto.</summary>
    public const int MaxLines = 3;
    const float Gap = 4;

    readonly float _size;
    readonly IReadOnlyList<IReadOnlyList<string>> _lines;

    CategoryLabels(IReadOnlyList<string> shown, bool rotated, float size, IReadOnlyList<(string Shown, string Full)> shortened,
        IReadOnlyList<IReadOnlyList<string>>? lines = null)
    {
        (Shown, Rotated, _size, Shortened) = (shown, rotated, size, shortened);
        _lines = lines ?? shown.Select(l => (IReadOnlyList<string>)[l]).ToList();
    }

    public IReadOnlyList<string> Shown { get; }
    public bool Rotated { get; }
    public IReadOnlyList<(string Shown, string Full)> Shortened { get; }

    /// <summary>Height below the axis that the labels need.</summary>
    public float Height => Rotated
        ? Shown.Max(l => Raster.TextWidth(l, _size)) + Gap + 2
        : (_lines.Max(l => l.Count) - 1) * Raster.LineHeight(_size) + 1.05f * _size + Gap;

    /// <summary>The full names of shortened labels, one note (null when none was shortened).</summary>
    public string? Key => Shortened.Count == 0 ? null : "labels in full: " + string.Join("; ", Shortened.Select(s => $"{s.Shown} = {s.Full}"));

    /// <param name="slot">logical width of a category's slot</param>
    public static CategoryLabels Fit(IReadOnlyList<string> labels, float slot, int scale = 2)
    {
        var size = ChartFont.Size(scale);
        if (labels.All(l => Raster.TextWidth(l, size) <= slot - Gap)) return new CategoryLabels(labels, false, size, []);
        // Wrapped at spaces only: a word broken inside (a hook name) reads worse than a turned label.
        if (labels.All(l => l.Split(' ').All(word => Raster.TextWidth(word, size) <= slot - Gap)))
        {
            var wrapped = labels.Select(l => (IReadOnlyList<string>)TextBlock.Wrap(l, slot - Gap, size)).ToList();
            if (wrapped.All(lines => lines.Count <= MaxLines)) return new CategoryLabels(labels, false, size, [], wrapped);
        }
        // Turned text is one line high: it needs the slot to be at least that wide; smaller print if not.
        if (Raster.LineHeight(size) > slot) size = Math.Max(6f, slot / 1.2f);
        var shortened = new List<(string, string)>();
        var shown = labels.Select(l =>
        {
            if (Raster.TextWidth(l, size) <= MaxRotated) return l;
            var n = l.Length;
            while (n > 1 && Raster.TextWidth(l[..n] + "…", size) > MaxRotated) n--;
            var cut = l[..n] + "…";
            shortened.Add((cut, l));
            return cut;
        }).ToList();
        return new CategoryLabels(shown, true, size, shortened);
    }

    /// <summary>Draws label i under the point (centre(i), top).</summary>
    public void Draw(Raster r, Func<int, float> centre, float top, SKColor ink)
    {
        for (var i = 0; i < Shown.Count; i++)
        {
            if (Rotated)
            {
                // Turned a quarter anticlockwise about its end: the label reads upwards, ending just under the axis.
                r.Text(Shown[i], centre(i) - Raster.CapHeight(_size) / 2, top + Gap, ink, _size, SKTextAlign.Right, -90);
                continue;
            }
            for (var l = 0; l < _lines[i].Count; l++)
                r.Text(_lines[i][l], centre(i), top + Gap + l * Raster.LineHeight(_size), ink, _size, SKTextAlign.Center);
        }
    }
}
