using SkiaSharp;

namespace MMInterp.Kernels.Plots;

/// <summary>A labelled grid of small RGB images (rows x columns), e.g. the diffusion steering lens (layer x step),
/// generated samples, or cross-attention maps (layer x token).</summary>
public static class ImageGridPng
{
    /// <param name="cells">cells[row][col]: planar RGB [3*size*size] in [0, 1], or null for an empty cell</param>
    public static void Write(string path, IReadOnlyList<IReadOnlyList<float[]?>> cells, int size, IReadOnlyList<string> rowLabels,
        IReadOnlyList<string> columnLabels, string title, int scale = 3)
    {
        if (cells.Count == 0 || cells[0].Count == 0) throw new ArgumentException("an image grid needs at least one cell");
        if (rowLabels.Count != cells.Count || columnLabels.Count != cells[0].Count)
            throw new ArgumentException($"labels ({rowLabels.Count} rows, {columnLabels.Count} columns) must match the grid ({cells.Count}x{cells[0].Count})");
        const int gap = 4, top = 44;
        var left = rowLabels.Max(l => Raster.TextWidth(l)) + 12;
        var cell = size * scale;
        var columnWidth = Math.Max(cell, columnLabels.Max(l => Raster.TextWidth(l, 1)) + 2);
        var width = left + cells[0].Count * (columnWidth + gap) + gap;
        var height = top + cells.Count * (cell + gap) + gap;
        using var r = new Raster(Math.Max(width, Raster.TextWidth(title) + 16), height, SKColors.White);
        var ink = new SKColor(40, 40, 40);
        r.Text(title, 8, 6, ink);
        for (var c = 0; c < columnLabels.Count; c++) r.Text(columnLabels[c], left + c * (columnWidth + gap), top - 14, ink, scale: 1);
        for (var row = 0; row < cells.Count; row++)
        {
            var y = top + row * (cell + gap);
            r.Text(rowLabels[row], 6, y + cell / 2 - 6, ink);
            for (var c = 0; c < cells[row].Count; c++)
                if (cells[row][c] is { } rgb) r.Image(rgb, size, left + c * (columnWidth + gap), y, scale);
        }
        r.SavePng(path);
    }
}
