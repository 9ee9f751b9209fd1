using System.Runtime.InteropServices;
using MMInterp.Kernels.Images;
using SkiaSharp;

namespace MMInterp.Kernels.Interp.DataStudy;

/// <summary>Decoded images to and from SkiaSharp bitmaps, and the centre-crop thumbnail pictures show (the part of the
/// image a CLIP preprocessor keeps: shortest side resized, centre square cropped).</summary>
public static class RgbBitmaps
{
    public static SKBitmap ToBitmap(RgbImage image)
    {
        var bitmap = new SKBitmap(new SKImageInfo(image.Width, image.Height, SKColorType.Rgba8888, SKAlphaType.Opaque));
        var rgba = new byte[image.Width * image.Height * 4];
        for (int i = 0, j = 0; i < image.Pixels.Length; i += 3, j += 4)
        {
            rgba[j] = image.Pixels[i];
            rgba[j + 1] = image.Pixels[i + 1];
            rgba[j + 2] = image.Pixels[i + 2];
            rgba[j + 3] = 255;
        }
        Marshal.Copy(rgba, 0, bitmap.GetPixels(), rgba.Length);
        return bitmap;
    }

    public static RgbImage FromBitmap(SKBitmap bitmap)
    {
        using var rgba = bitmap.ColorType == SKColorType.Rgba8888 ? null : bitmap.Copy(SKColorType.Rgba8888);
        var source = rgba ?? bitmap;
        var bytes = new byte[source.Width * source.Height * 4];
        Marshal.Copy(source.GetPixels(), bytes, 0, bytes.Length);
        var rgb = new byte[source.Width * source.Height * 3];
        for (int i = 0, j = 0; j < bytes.Length; i += 3, j += 4)
        {
            rgb[i] = bytes[j];
            rgb[i + 1] = bytes[j + 1];
            rgb[i + 2] = bytes[j + 2];
        }
        return new RgbImage(source.Width, source.Height, rgb);
    }

    /// <summary>The image's centre square resized to <paramref name="size"/>, planar RGB [3*size*size] in [0, 1].</summary>
    public static float[] CentreThumbnail(RgbImage image, int size)
    {
        var side = Math.Min(image.Width, image.Height);
        using var full = ToBitmap(image);
        using var square = new SKBitmap(new SKImageInfo(side, side, SKColorType.Rgba8888, SKAlphaType.Opaque));
        if (!full.ExtractSubset(square, SKRectI.Create((image.Width - side) / 2, (image.Height - side) / 2, side, side)))
            throw new InvalidOperationException("could not crop the image's centre square");
        using var resized = square.Resize(new SKImageInfo(size, size, SKColorType.Rgba8888, SKAlphaType.Opaque), SKFilterQuality.Medium)
                            ?? throw new InvalidOperationException($"could not resize a {side}px square to {size}px");
        var bytes = new byte[size * size * 4];
        Marshal.Copy(resized.GetPixels(), bytes, 0, bytes.Length);
        var n = size * size;
        var planar = new float[3 * n];
        for (var i = 0; i < n; i++)
        {
            planar[i] = bytes[4 * i] / 255f;
            planar[n + i] = bytes[4 * i + 1] / 255f;
            planar[2 * n + i] = bytes[4 * i + 2] / 255f;
        }
        return planar;
    }
}
