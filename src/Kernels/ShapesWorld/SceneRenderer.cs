using MMInterp.Kernels.Images;

namespace MMInterp.Kernels.ShapesWorld;

/// <summary>Rasterises a scene into planar RGB floats [3,H,W] in [0,1] and a per-pixel owner mask [H,W].</summary>
public sealed class SceneRenderer(ShapesWorldConfig config)
{
    /// <summary>Mask value of pixels covered by the overlaid word (and its dark band).</summary>
    public const long TextMaskValue = -1;

    readonly int _size = config.Validate().ImageSize;

    public int ImageSize => _size;

    /// <summary>Writes the image into rgb (length 3*H*W) and the mask into mask (length H*W): 0 background,
    /// k+1 for object k, <see cref="TextMaskValue"/> for the word.</summary>
    public void Render(Scene scene, Span<float> rgb, Span<long> mask)
    {
        var n = _size * _size;
        if (rgb.Length != 3 * n || mask.Length != n) throw new ArgumentException($"buffers must hold 3*{n} and {n} values");
        var bg = AttributeWords.BackgroundGrey[(int)scene.Background];
        rgb.Fill(bg);
        mask.Clear();
        var unit = _size / 32.0;
        for (var k = 0; k < scene.Objects.Count; k++)
            DrawObject(scene.Objects[k], k + 1, unit, rgb, mask);
        if (scene.Overlay is { } overlay) DrawWord(overlay, rgb, mask);
    }

    static (double X, double Y) Centre(Position p) => p switch
    {
        Position.UpperLeft => (0.26, 0.26),
        Position.UpperRight => (0.74, 0.26),
        Position.LowerLeft => (0.26, 0.74),
        Position.LowerRight => (0.74, 0.74),
        Position.Centre => (0.5, 0.5),
        _ => throw new ArgumentOutOfRangeException(nameof(p)),
    };

    void DrawObject(SceneObject o, long id, double unit, Span<float> rgb, Span<long> mask)
    {
        var (cx, cy) = Centre(o.Position);
        cx *= _size; cy *= _size;
        var radius = (o.Size == Size.Large ? 7.5 : 4.6) * unit;
        var (r, g, b) = AttributeWords.ColourRgb[(int)o.Colour];
        var n = _size * _size;
        var period = Math.Max(1, (int)Math.Round(2 * unit));
        var x0 = Math.Max(0, (int)(cx - radius - 1)); var x1 = Math.Min(_size - 1, (int)(cx + radius + 1));
        var y0 = Math.Max(0, (int)(cy - radius - 1)); var y1 = Math.Min(_size - 1, (int)(cy + radius + 1));
        for (var y = y0; y <= y1; y++)
        for (var x = x0; x <= x1; x++)
        {
            var u = (x + 0.5 - cx) / radius;
            var v = (y + 0.5 - cy) / radius;
            if (!ShapeGeometry.Inside(o.Shape, u, v)) continue;
            // Patterns dim or darken some pixels but keep the silhouette and the hue, so every attribute stays visible.
            var gain = o.Fill switch
            {
                Fill.Striped => ((x + y) / period) % 2 == 0 ? 1f : 0.35f,
                Fill.Dotted => (x / period) % 2 == 1 && (y / period) % 2 == 1 ? 0.1f : 1f,
                _ => 1f,
            };
            var i = y * _size + x;
            rgb[i] = r * gain; rgb[n + i] = g * gain; rgb[2 * n + i] = b * gain;
            mask[i] = id;
        }
    }

    void DrawWord(TextOverlay overlay, Span<float> rgb, Span<long> mask)
    {
        var scale = BitmapFont.Scale(_size);
        var n = _size * _size;
        var width = BitmapFont.Width(overlay.Word) * scale;
        var height = BitmapFont.GlyphHeight * scale;
        // A dark band under white letters keeps the word legible on any object colour.
        for (var y = overlay.Y - 1; y <= overlay.Y + height; y++)
        for (var x = overlay.X - 1; x <= overlay.X + width; x++)
        {
            if (x < 0 || y < 0 || x >= _size || y >= _size) continue;
            var ink = BitmapFont.Ink(overlay.Word, (x - overlay.X) / scale, (y - overlay.Y) / scale) && x >= overlay.X && y >= overlay.Y;
            var value = ink ? 1f : 0.05f;
            var i = y * _size + x;
            rgb[i] = value; rgb[n + i] = value; rgb[2 * n + i] = value;
            mask[i] = TextMaskValue;
        }
    }
}
