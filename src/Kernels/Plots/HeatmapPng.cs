using SkiaSharp;

namespace MMInterp.Kernels.Plots;

/// <summary>A rows x columns heatmap (white = <c>min</c>, dark purple = <c>max</c>) with row labels, optional column
/// labels, and a tick over marked columns (for causal tracing: LM layer x token position, object patches marked).</summary>
public static class HeatmapPng
{
    public static void Write(string path, double[,] values, IReadOnlyList<string> rowLabels, string title,
        IReadOnlyList<string>? columnLabels = null, bool[]? markedColumns = null, double min = 0, double max = 1)
    {
        var (rows, columns) = (values.GetLength(0), values.GetLength(1));
        if (rows == 0 || columns == 0) throw new ArgumentException("nothing to draw: the heatmap is empty", nameof(values));
        if (rowLabels.Count != rows) throw new ArgumentException($"{rowLabels.Count} row labels for {rows} rows", nameof(rowLabels));
        if (columnLabels is not null && columnLabels.Count != columns) throw new ArgumentException($"{columnLabels.Count} column labels for {columns} columns", nameof(columnLabels));
        if (markedColumns is not null && markedColumns.Length != columns) throw new ArgumentException($"{markedColumns.Length} marks for {columns} columns", nameof(markedColumns));
        if (!(max > min)) throw new ArgumentException($"max ({max}) must exceed min ({min})", nameof(max));
        var labelWidth = rowLabels.Max(l => Raster.TextWidth(l)) + 12;
        var cellW = columnLabels is null ? Math.Max(6, Math.Min(40, 900 / columns)) : Math.Max(columnLabels.Max(l => Raster.TextWidth(l, 1)) + 4, 12);
        const int cellH = 26, top = 44, pad = 10;
        var bottom = columnLabels is null ? 40 : 34;
        var width = Math.Max(labelWidth + columns * cellW + pad + 70, Raster.TextWidth(title) + 2 * pad);
        var height = top + rows * cellH + bottom + 16;
        using var r = new Raster(width, height, SKColors.White);
        var ink = new SKColor(40, 40, 40);
        r.Text(title, pad, 10, ink);
        for (var a = 0; a < rows; a++)
        {
            r.Text(rowLabels[a], pad, top + a * cellH + cellH / 2 - 5, ink);
            for (var b = 0; b < columns; b++)
                r.FillRect(labelWidth + b * cellW, top + a * cellH, cellW - (cellW > 8 ? 1 : 0), cellH - 1, Colour((values[a, b] - min) / (max - min)));
        }
        if (markedColumns is not null)
            for (var b = 0; b < columns; b++)
                if (markedColumns[b]) r.FillRect(labelWidth + b * cellW, top - 7, Math.Max(2, cellW - 1), 4, new SKColor(230, 120, 0));
        var axisY = top + rows * cellH + 6;
        if (columnLabels is not null)
            for (var b = 0; b < columns; b++) r.Text(columnLabels[b], labelWidth + b * cellW + 1, axisY, ink, 1);
        else
            for (var b = 0; b < columns; b += Math.Max(1, columns / 12)) r.Text(b.ToString(), labelWidth + b * cellW, axisY, ink, 1);
        // Colour bar.
        var barX = labelWidth + columns * cellW + pad;
        for (var k = 0; k < 50; k++) r.FillRect(barX, top + rows * cellH - (k + 1) * rows * cellH / 50f, 12, rows * cellH / 50f + 1, Colour(k / 49.0));
        r.Text($"{max:0.##}", barX + 16, top - 2, ink, 1);
        r.Text($"{min:0.##}", barX + 16, top + rows * cellH - 6, ink, 1);
        if (markedColumns is not null) r.Text("orange tick: object patch", pad, height - 14, new SKColor(200, 100, 0), 1);
        r.SavePng(path);
    }

    /// <summary>0 -> white, 1 -> dark purple.</summary>
    public static SKColor Colour(double v)
    {
        var t = (float)Math.Clamp(double.IsFinite(v) ? v : 0, 0, 1);
        return Raster.Rgb(1 - 0.65f * t, 1 - 0.9f * t, 1 - 0.55f * t);
    }
}
