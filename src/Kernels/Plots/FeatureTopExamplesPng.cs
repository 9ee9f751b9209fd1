using System.Globalization;
using SkiaSharp;

namespace MMInterp.Kernels.Plots;

/// <summary>A feature's top-activating images as a grid. Each image is enlarged; patches are dimmed in proportion to how
/// far their activation falls below the grid's strongest patch (a translucent heatmap that keeps the object's colour
/// visible), and patches at half the maximum or above get a yellow frame. Under each tile: image index and max
/// activation, then the class token's activation.</summary>
public static class FeatureTopExamplesPng
{
    /// <param name="images">each planar RGB [3*size*size] in [0, 1] (what the tower saw: a rendered scene, the centre
    /// crop of a user's photo) with a short caption naming it</param>
    /// <param name="tokenActivations">per image: the class token, then patches row by row (patchesPerSide^2)</param>
    public static void Write(IReadOnlyList<(float[] Rgb, string Name)> images, int size, IReadOnlyList<float[]> tokenActivations,
        int patchesPerSide, string title, string path, int columns = 3)
    {
        var scenes = images;
        if (scenes.Count != tokenActivations.Count) throw new ArgumentException($"{scenes.Count} scenes but {tokenActivations.Count} activation rows", nameof(tokenActivations));
        if (columns < 1) throw new ArgumentException($"columns must be positive, got {columns}", nameof(columns));
        if (patchesPerSide < 1) throw new ArgumentException($"patchesPerSide must be positive, got {patchesPerSide}", nameof(patchesPerSide));
        var tokens = patchesPerSide * patchesPerSide + 1;
        foreach (var row in tokenActivations)
        {
            if (row.Length != tokens) throw new ArgumentException($"an activation row has {row.Length} tokens, expected {tokens} (class token + {patchesPerSide}x{patchesPerSide} patches)", nameof(tokenActivations));
            if (row.Any(v => !float.IsFinite(v))) throw new ArgumentException("activations contain NaN or inf", nameof(tokenActivations));
        }
        if (size % patchesPerSide != 0) throw new ArgumentException($"{patchesPerSide} patches per side do not tile a {size}px image", nameof(patchesPerSide));
        var scale = Math.Max(1, 128 / size);
        var tile = size * scale;
        var patchPx = tile / patchesPerSide;
        const int pad = 10, header = 28, caption = 30;
        var cols = Math.Max(1, Math.Min(columns, scenes.Count));
        var rows = Math.Max(1, (scenes.Count + cols - 1) / cols);
        var width = Math.Max(pad + cols * (tile + pad), Raster.TextWidth(title) + 2 * pad);
        using var r = new Raster(width, header + rows * (tile + caption + pad) + pad, new SKColor(250, 250, 250));
        var ink = new SKColor(20, 20, 20);
        r.Text(title, pad, 8, ink);
        if (scenes.Count == 0) r.Text("the feature never fires on these images", pad, header, ink);
        var vmax = tokenActivations.SelectMany(a => a.Skip(1)).DefaultIfEmpty(0).Max();
        for (var i = 0; i < scenes.Count; i++)
        {
            var x = pad + i % cols * (tile + pad);
            var y = header + i / cols * (tile + caption + pad);
            var a = tokenActivations[i];
            var heat = a.Skip(1).Select(v => vmax > 0 ? v / vmax : 0).ToArray();
            var rgb = scenes[i].Rgb;
            r.Image(HeatOverlay.Blend(rgb, size, heat, patchesPerSide, HeatOverlay.DimCold), size, x, y, scale);
            for (var p = 0; p < tokens - 1; p++)
            {
                float px = x + p % patchesPerSide * patchPx, py = y + p / patchesPerSide * patchPx;
                if (heat[p] >= 0.5)
                {
                    var frame = new SKColor(255, 220, 0);
                    r.Line(px, py, px + patchPx, py, frame);
                    r.Line(px, py + patchPx, px + patchPx, py + patchPx, frame);
                    r.Line(px, py, px, py + patchPx, frame);
                    r.Line(px + patchPx, py, px + patchPx, py + patchPx, frame);
                }
            }
            r.TextFit(string.Create(CultureInfo.InvariantCulture, $"{scenes[i].Name} max {a.Max():0.00}"), x, y + tile + 4, tile, ink);
            r.TextFit(string.Create(CultureInfo.InvariantCulture, $"cls {a[0]:0.00}"), x, y + tile + 17, tile, ink);
        }
        r.SavePng(path);
    }
}
