using SkiaSharp;

namespace MMInterp.Kernels.Plots;

/// <summary>A plot's key: a colour swatch and a name for each entry, each at the place the plot gives it.</summary>
public static class Legend
{
    /// <param name="place">where entry k's swatch goes (its top left); its name follows 20 px to the right</param>
    public static void Draw(Raster r, IReadOnlyList<(string Name, SKColor Colour)> entries, Func<int, (int X, int Y)> place, SKColor ink, int textScale = 2)
    {
        for (var k = 0; k < entries.Count; k++)
        {
            var (x, y) = place(k);
            r.FillRect(x, y, 14, 8, entries[k].Colour);
            r.Text(entries[k].Name, x + 20, y - 1, ink, textScale);
        }
    }
}
