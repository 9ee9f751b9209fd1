using MMInterp.Kernels.Plots;
using SkiaSharp;

namespace MMInterp.Kernels.ShapesWorld;

/// <summary>A labelled grid of ShapesWorld images, for checking the world by eye: each tile shows the
/// image enlarged and, under it, the index, the caption (one object per line) and any overlaid word.</summary>
public static class ShapesGridPng
{
    public static void Write(ShapesWorldGenerator world, IReadOnlyList<Scene> scenes, string path, int columns = 4)
    {
        if (scenes.Count == 0) throw new ArgumentException("nothing to draw: no scenes", nameof(scenes));
        if (columns <= 0) throw new ArgumentException($"columns must be positive, got {columns}", nameof(columns));
        var size = world.Config.ImageSize;
        var scale = Math.Max(1, 192 / size);
        const int textScale = 2, lineHeight = 14, pad = 8;
        var lines = scenes.Select(Label).ToList();
        var tileW = Math.Max(size * scale, lines.SelectMany(l => l).Max(l => Raster.TextWidth(l, textScale))) + pad;
        var tileH = size * scale + pad + lines.Max(l => l.Count) * lineHeight + pad;
        var rows = (scenes.Count + columns - 1) / columns;
        using var raster = new Raster(columns * tileW + pad, rows * tileH + pad, new SKColor(250, 250, 250));
        for (var i = 0; i < scenes.Count; i++)
        {
            var x = pad + i % columns * tileW;
            var y = pad + i / columns * tileH;
            var (rgb, _) = world.Render(scenes[i]);
            raster.Image(rgb, size, x, y, scale);
            for (var l = 0; l < lines[i].Count; l++)
            {
                var colour = lines[i][l].StartsWith("attack", StringComparison.Ordinal) ? new SKColor(200, 0, 0) : new SKColor(20, 20, 20);
                raster.Text(lines[i][l], x, y + size * scale + pad / 2 + l * lineHeight, colour, textScale);
            }
        }
        raster.SavePng(path);
    }

    static List<string> Label(Scene s)
    {
        var lines = new List<string> { $"#{s.Index} {AttributeWords.Backgrounds[(int)s.Background]} bg" };
        foreach (var o in s.Objects)
        {
            lines.Add($"{o.Word(ObjectAttribute.Size)} {o.Word(ObjectAttribute.Colour)} {o.Word(ObjectAttribute.Fill)}");
            lines.Add($"  {o.Word(ObjectAttribute.Shape)} {o.Word(ObjectAttribute.Position)}");
        }
        if (s.Overlay is { } t) lines.Add($"{(t.IsAttack ? "attack" : "word")}: {t.Word}");
        return lines;
    }
}
