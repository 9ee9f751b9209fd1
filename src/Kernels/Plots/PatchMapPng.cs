using SkiaSharp;

namespace MMInterp.Kernels.Plots;

/// <summary>An image beside panels of its patch grid: each panel colours the patches by a value in [0, 1] and/or writes
/// a word in each (logit lens: the top decoded word per visual token per layer). Marked patches get an orange frame.</summary>
public static class PatchMapPng
{
    public sealed record Panel(string Title, double[]? Values = null, string[]? Words = null);

    public static void Write(string path, float[] planarRgb, int imageSize, int patchesPerSide, IReadOnlyList<Panel> panels, bool[]? marked, string title)
    {
        var patches = patchesPerSide * patchesPerSide;
        if (planarRgb.Length != 3 * imageSize * imageSize) throw new ArgumentException($"image must hold 3x{imageSize}x{imageSize} values, got {planarRgb.Length}", nameof(planarRgb));
        if (panels.Count == 0) throw new ArgumentException("nothing to draw: no panels", nameof(panels));
        foreach (var p in panels)
            if ((p.Values is not null && p.Values.Length != patches) || (p.Words is not null && p.Words.Length != patches))
                throw new ArgumentException($"panel '{p.Title}' must have {patches} values/words");
        if (marked is not null && marked.Length != patches) throw new ArgumentException($"{marked.Length} marks for {patches} patches", nameof(marked));
        const int cell = 34, pad = 12;
        var grid = cell * patchesPerSide;
        var scale = Math.Max(1, grid / imageSize);
        var columns = panels.Count + 1;
        var width = pad + columns * (grid + pad);
        var heading = TextBlock.Fit(title, width - 2 * pad);
        var top = (int)MathF.Ceiling(8 + heading.Height + 22);
        using var r = new Raster(width, top + grid + 30, SKColors.White);
        var ink = new SKColor(40, 40, 40);
        heading.Draw(r, pad, 8, ink);
        r.Image(planarRgb, imageSize, pad, top, scale);
        for (var k = 0; k < panels.Count; k++)
        {
            var x0 = pad + (k + 1) * (grid + pad);
            r.TextFit(panels[k].Title, x0, top - 14, grid, ink, 1);
            for (var j = 0; j < patches; j++)
            {
                var (x, y) = (x0 + j % patchesPerSide * cell, top + j / patchesPerSide * cell);
                var fill = panels[k].Values is { } v ? HeatmapPng.Colour(v[j]) : new SKColor(245, 245, 245);
                if (marked is not null && marked[j]) r.FillRect(x, y, cell, cell, new SKColor(230, 120, 0));
                r.FillRect(x + 2, y + 2, cell - 4, cell - 4, fill);
                if (panels[k].Words is { } w)
                {
                    r.TextFit(w[j], x + cell / 2f, y + cell / 2f - 4, cell - 6, ink, 1, SKTextAlign.Center);
                }
            }
        }
        r.SavePng(path);
    }
}
