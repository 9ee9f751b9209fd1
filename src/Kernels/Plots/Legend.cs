using SkiaSharp;

namespace MMInterp.Kernels.Plots;

/// <summary>A plot's key: a colour swatch and a name for each entry, each at the place the plot gives it, or flowed
/// into rows that fit a width (<see cref="Flow"/>).</summary>
public static class Legend
{
    const int Swatch = 20, Spacing = 18, RowHeight = 16;

    /// <param name="place">where entry k's swatch goes (its top left); its name follows 20 px to the right</param>
    public static void Draw(Raster r, IReadOnlyList<(string Name, SKColor Colour)> entries, Func<int, (int X, int Y)> place, SKColor ink, int textScale = 2)
    {
        for (var k = 0; k < entries.Count; k++)
        {
            var (x, y) = place(k);
            r.FillRect(x, y, 14, 8, entries[k].Colour);
            r.Text(entries[k].Name, x + Swatch, y - 1, ink, textScale);
        }
    }

    /// <summary>Places for the entries left to right from (0, 0), starting a new row where the next would pass
    /// <paramref name="width"/>; and the height of the rows.</summary>
    public static (Func<int, (int X, int Y)> Place, int Height) Flow(IReadOnlyList<string> names, int width, int textScale = 2)
    {
        var places = new List<(int X, int Y)>();
        int x = 0, y = 0;
        foreach (var name in names)
        {
            var w = Swatch + Raster.TextWidth(name, textScale);
            if (x > 0 && x + w > width) (x, y) = (0, y + RowHeight);
            places.Add((x, y));
            x += w + Spacing;
        }
        return (k => places[k], y + RowHeight);
    }

    /// <summary>Draws the entries flowed (<see cref="Flow"/>) from (x, y) within <paramref name="width"/>; returns the height used.</summary>
    public static int DrawFlow(Raster r, IReadOnlyList<(string Name, SKColor Colour)> entries, int x, int y, int width, SKColor ink, int textScale = 2)
    {
        var (place, height) = Flow(entries.Select(e => e.Name).ToList(), width, textScale);
        Draw(r, entries, k => { var p = place(k); return (x + p.X, y + p.Y); }, ink, textScale);
        return height;
    }
}
