using MMInterp.Kernels.Images;
using SkiaSharp;

namespace MMInterp.Kernels.Interp.DataStudy;

/// <summary>
/// Draws a word on a photograph, as the typographic attack does (a handwritten label stuck on an apple): white letters
/// with a black outline in a real TrueType font, centred horizontally in the image's centre square (the part a CLIP
/// preprocessor keeps) and in its lower half, sized to a share of that square and shrunk to fit its width.
/// </summary>
public sealed class WordOverlay : IDisposable
{
    readonly SKTypeface _typeface;

    /// <summary>Loads the font; a missing or unreadable file is one clear error naming it.</summary>
    public WordOverlay(string fontPath, double scale)
    {
        if (!File.Exists(fontPath))
            throw new FileNotFoundException($"{fontPath}: font file missing; the typographic attack draws its words in it (install Debian's fonts-dejavu-core, as infra/scripts/setup.sh does)", fontPath);
        _typeface = SKTypeface.FromFile(fontPath) ?? throw new InvalidDataException($"{fontPath}: not a font SkiaSharp can read");
        if (!(scale > 0 && scale <= 0.5)) throw new ArgumentException($"word scale must be in (0, 0.5], got {scale}", nameof(scale));
        Scale = scale;
    }

    public double Scale { get; }

    /// <summary>A copy of <paramref name="image"/> with <paramref name="word"/> drawn on it.</summary>
    public RgbImage Draw(RgbImage image, string word)
    {
        if (string.IsNullOrWhiteSpace(word)) throw new ArgumentException("the word to draw is empty", nameof(word));
        var side = Math.Min(image.Width, image.Height);
        using var bitmap = RgbBitmaps.ToBitmap(image);
        using (var canvas = new SKCanvas(bitmap))
        using (var fill = new SKPaint { Color = SKColors.White, IsAntialias = true, Style = SKPaintStyle.Fill, Typeface = _typeface, TextSize = (float)(Scale * side) })
        using (var outline = new SKPaint { Color = SKColors.Black, IsAntialias = true, Style = SKPaintStyle.Stroke, StrokeJoin = SKStrokeJoin.Round, Typeface = _typeface })
        {
            var width = fill.MeasureText(word);
            var room = 0.9f * side;
            if (width > room)
            {
                fill.TextSize *= room / width;
                width = room;
            }
            outline.TextSize = fill.TextSize;
            outline.StrokeWidth = Math.Max(1f, fill.TextSize / 8);
            var x = (image.Width - width) / 2;
            var y = (image.Height - side) / 2 + 0.72f * side + fill.TextSize / 3; // baseline: the word's middle at 72% of the square
            canvas.DrawText(word, x, y, outline);
            canvas.DrawText(word, x, y, fill);
        }
        return RgbBitmaps.FromBitmap(bitmap);
    }

    public void Dispose() => _typeface.Dispose();
}
