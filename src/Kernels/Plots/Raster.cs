using MMInterp.Kernels.Images;
using SkiaSharp;

namespace MMInterp.Kernels.Plots;

/// <summary>A small drawing surface over SkiaSharp that writes PNG. Text uses the ShapesWorld bitmap font, so
/// pictures need no system fonts (the NoDependencies Skia build has none).</summary>
public sealed class Raster : IDisposable
{
    readonly SKBitmap _bitmap;
    readonly SKCanvas _canvas;

    public Raster(int width, int height, SKColor background)
    {
        if (width <= 0 || height <= 0) throw new ArgumentException($"raster size must be positive, got {width}x{height}");
        _bitmap = new SKBitmap(width, height, SKColorType.Rgba8888, SKAlphaType.Premul);
        _canvas = new SKCanvas(_bitmap);
        _canvas.Clear(background);
    }

    public int Width => _bitmap.Width;
    public int Height => _bitmap.Height;
    public SKCanvas Canvas => _canvas;

    public static SKColor Rgb(float r, float g, float b) =>
        new((byte)Math.Clamp(r * 255f + 0.5f, 0, 255), (byte)Math.Clamp(g * 255f + 0.5f, 0, 255), (byte)Math.Clamp(b * 255f + 0.5f, 0, 255));

    public void FillRect(float x, float y, float w, float h, SKColor colour)
    {
        using var paint = new SKPaint { Color = colour, IsAntialias = false, Style = SKPaintStyle.Fill };
        _canvas.DrawRect(x, y, w, h, paint);
    }

    public void Line(float x0, float y0, float x1, float y1, SKColor colour, float width = 1)
    {
        using var paint = new SKPaint { Color = colour, IsAntialias = true, StrokeWidth = width, Style = SKPaintStyle.Stroke };
        _canvas.DrawLine(x0, y0, x1, y1, paint);
    }

    /// <summary>Joins <paramref name="points"/> in order.</summary>
    public void Polyline(IReadOnlyList<SKPoint> points, SKColor colour, float width = 1)
    {
        for (var i = 1; i < points.Count; i++) Line(points[i - 1].X, points[i - 1].Y, points[i].X, points[i].Y, colour, width);
    }

    /// <summary>Draws planar RGB [3*size*size] at (x, y), each source pixel as a scale x scale block.</summary>
    public void Image(ReadOnlySpan<float> planarRgb, int size, int x, int y, int scale)
    {
        var n = size * size;
        for (var py = 0; py < size; py++)
        for (var px = 0; px < size; px++)
        {
            var i = py * size + px;
            var colour = Rgb(planarRgb[i], planarRgb[n + i], planarRgb[2 * n + i]);
            for (var dy = 0; dy < scale; dy++)
            for (var dx = 0; dx < scale; dx++)
                _bitmap.SetPixel(x + px * scale + dx, y + py * scale + dy, colour);
        }
    }

    /// <summary>Bitmap-font text; each font pixel is scale x scale. Returns the width drawn.</summary>
    public int Text(string text, int x, int y, SKColor colour, int scale = 2)
    {
        var width = BitmapFont.Width(text);
        for (var row = 0; row < BitmapFont.GlyphHeight; row++)
        for (var col = 0; col < width; col++)
            if (BitmapFont.Ink(text, col, row)) FillRect(x + col * scale, y + row * scale, scale, scale, colour);
        return width * scale;
    }

    public static int TextWidth(string text, int scale = 2) => BitmapFont.Width(text) * scale;

    public void SavePng(string path)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir is not null) Directory.CreateDirectory(dir);
        _canvas.Flush();
        using var image = SKImage.FromBitmap(_bitmap);
        using var data = image.Encode(SKEncodedImageFormat.Png, 100);
        var tmp = path + ".tmp";
        using (var file = File.Create(tmp)) data.SaveTo(file);
        File.Move(tmp, path, overwrite: true);
    }

    public void Dispose()
    {
        _canvas.Dispose();
        _bitmap.Dispose();
    }
}
