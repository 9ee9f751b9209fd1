namespace MMInterp.Kernels.Images;

/// <summary>A decoded image as the platform passes it around before preprocessing: 8-bit RGB, row-major,
/// Height x Width x 3 bytes (the decoder says how it treats alpha).</summary>
public sealed record RgbImage
{
    public RgbImage(int width, int height, byte[] pixels)
    {
        if (width < 1 || height < 1) throw new ArgumentException($"image size must be positive, got {width}x{height}");
        if (pixels.Length != (long)width * height * 3)
            throw new ArgumentException($"a {width}x{height} RGB image holds {(long)width * height * 3} bytes, got {pixels.Length}");
        Width = width;
        Height = height;
        Pixels = pixels;
    }

    public int Width { get; }
    public int Height { get; }
    /// <summary>R, G, B of pixel (y, x) at (y * Width + x) * 3.</summary>
    public byte[] Pixels { get; }
}
