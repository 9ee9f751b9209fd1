using SkiaSharp;

namespace MMInterp.Kernels.Plots;

/// <summary>
/// A small drawing surface over SkiaSharp that writes PNG. Callers lay out in logical pixels; the PNG holds
/// <see cref="DeviceScale"/> device pixels per logical one, so pages that show it at its logical size (an
/// <c>srcset</c> with a 2x descriptor) stay crisp on high-density screens. Text is DejaVu Sans (<see cref="ChartFont"/>).
/// </summary>
public sealed class Raster : IDisposable
{
    /// <summary>Device pixels per logical pixel in every picture written.</summary>
    public const int DeviceScale = 2;

    readonly SKBitmap _bitmap;
    readonly SKCanvas _canvas;

    public Raster(int width, int height, SKColor background)
    {
        if (width <= 0 || height <= 0) throw new ArgumentException($"raster size must be positive, got {width}x{height}");
        (Width, Height) = (width, height);
        _bitmap = new SKBitmap(width * DeviceScale, height * DeviceScale, SKColorType.Rgba8888, SKAlphaType.Premul);
        _canvas = new SKCanvas(_bitmap);
        _canvas.Clear(background);
        _canvas.Scale(DeviceScale);
        TextLog.Canvas(width, height);
    }

    /// <summary>Logical size (the PNG is <see cref="DeviceScale"/> times larger).</summary>
    public int Width { get; }
    public int Height { get; }
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

    /// <summary>Draws planar RGB [3*size*size] at (x, y), each source pixel as a scale x scale block (sharp edges).</summary>
    public void Image(ReadOnlySpan<float> planarRgb, int size, int x, int y, int scale)
    {
        var n = size * size;
        using var source = new SKBitmap(size, size, SKColorType.Rgba8888, SKAlphaType.Premul);
        for (var py = 0; py < size; py++)
        for (var px = 0; px < size; px++)
        {
            var i = py * size + px;
            source.SetPixel(px, py, Rgb(planarRgb[i], planarRgb[n + i], planarRgb[2 * n + i]));
        }
        using var paint = new SKPaint { FilterQuality = SKFilterQuality.None, IsAntialias = false };
        _canvas.DrawBitmap(source, SKRect.Create(x, y, size * scale, size * scale), paint);
    }

    /// <summary>Text with its cap line at <paramref name="y"/> (as the bitmap font's top row was), at
    /// <see cref="ChartFont.Size"/>(<paramref name="scale"/>). Returns the width drawn.</summary>
    public int Text(string text, int x, int y, SKColor colour, int scale = 2) =>
        (int)MathF.Ceiling(Text(text, x, (float)y, colour, ChartFont.Size(scale)));

    /// <summary>Text of <paramref name="size"/> px with its cap line at <paramref name="y"/>, starting at
    /// <paramref name="x"/>, or centred on it, or ending at it. Returns the width drawn.</summary>
    public float Text(string text, float x, float y, SKColor colour, float size, SKTextAlign align = SKTextAlign.Left, float degrees = 0)
    {
        using var paint = Paint(size, colour);
        paint.TextAlign = align;
        var baseline = y + CapHeight(size);
        if (degrees == 0) _canvas.DrawText(text, x, baseline, paint);
        else
        {
            // Rotate about the text's anchor on the cap line, so the caller places it as it would unrotated text.
            _canvas.Save();
            _canvas.RotateDegrees(degrees, x, y);
            _canvas.DrawText(text, x, baseline, paint);
            _canvas.Restore();
        }
        var width = paint.MeasureText(text);
        TextLog.Add(text, Bounds(text, x, y, size, align, degrees));
        return width;
    }

    /// <summary>Text at a text scale, made smaller (down to 6 px) to fit <paramref name="maxWidth"/>, and past that
    /// shortened with an ellipsis: for captions in cells of a fixed size. Returns the width drawn.</summary>
    public float TextFit(string text, float x, float y, float maxWidth, SKColor colour, int scale = 2, SKTextAlign align = SKTextAlign.Left)
    {
        var size = ChartFont.Size(scale);
        var width = TextWidth(text, size);
        if (width > maxWidth) size = Math.Max(6f, size * maxWidth / width * 0.999f);
        var shown = text;
        while (shown.Length > 1 && TextWidth(shown == text ? shown : shown + "…", size) > maxWidth) shown = shown[..^1];
        return Text(shown == text ? shown : shown + "…", x, y, colour, size, align);
    }

    /// <summary>Width of <paramref name="text"/> at a text scale (see <see cref="ChartFont.Size"/>), rounded up.</summary>
    public static int TextWidth(string text, int scale = 2) => (int)MathF.Ceiling(TextWidth(text, ChartFont.Size(scale)));

    public static float TextWidth(string text, float size)
    {
        using var paint = Paint(size, SKColors.Black);
        return paint.MeasureText(text);
    }

    /// <summary>Height of capitals above the baseline at <paramref name="size"/> px.</summary>
    public static float CapHeight(float size) => 0.73f * size; // DejaVu Sans: 1493 of 2048 units

    /// <summary>Distance between baselines of wrapped lines at <paramref name="size"/> px.</summary>
    public static float LineHeight(float size) => MathF.Ceiling(1.2f * size);

    /// <summary>The box text drawn by <see cref="Text(string, float, float, SKColor, float, SKTextAlign, float)"/>
    /// covers, from its ascenders to its descenders, rotated with it.</summary>
    public static SKRect Bounds(string text, float x, float y, float size, SKTextAlign align = SKTextAlign.Left, float degrees = 0)
    {
        var width = TextWidth(text, size);
        var left = align switch { SKTextAlign.Center => x - width / 2, SKTextAlign.Right => x - width, _ => x };
        // DejaVu's ascenders stand 0.03 em above its capitals; its descenders reach 0.24 em below the baseline.
        var box = new SKRect(left, y - 0.03f * size, left + width, y + CapHeight(size) + 0.24f * size);
        if (degrees == 0) return box;
        var rotation = SKMatrix.CreateRotationDegrees(degrees, x, y);
        return rotation.MapRect(box);
    }

    static SKPaint Paint(float size, SKColor colour) => new()
    {
        Color = colour, IsAntialias = true, Style = SKPaintStyle.Fill, Typeface = ChartFont.Typeface, TextSize = size,
        SubpixelText = true, LcdRenderText = false,
    };

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
