using SkiaSharp;

namespace MMInterp.Kernels.Tests.Datasets;

/// <summary>Small generated images and broken files for the dataset tests.</summary>
public static class TestImages
{
    public static byte[] Encode(int width, int height, byte r, byte g, byte b, SKEncodedImageFormat format = SKEncodedImageFormat.Png, byte alpha = 255)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        for (var y = 0; y < height; y++)
            for (var x = 0; x < width; x++)
                bitmap.SetPixel(x, y, new SKColor(r, (byte)(g + x), b, alpha));
        using var data = bitmap.Encode(format, 95);
        return data.ToArray();
    }

    public static void Write(string path, byte[] bytes)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, bytes);
    }

    public static string TempDir(string name) => Directory.CreateTempSubdirectory($"mmi-{name}-").FullName;
}
