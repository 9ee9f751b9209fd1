using SkiaSharp;

namespace MMInterp.Kernels.Images;

/// <summary>
/// Decodes jpg/png/webp/bmp (and a gif's first frame) with SkiaSharp into <see cref="RgbImage"/>, as PIL's
/// <c>Image.open(f).convert("RGB")</c> would (the pipeline OpenAI's clip.py and HF's CLIPImageProcessor use):
/// <list type="bullet">
/// <item>alpha is dropped, not composited: Skia decodes to unpremultiplied RGBA and we keep R, G, B, exactly what
/// PIL's RGBA->RGB conversion does (a transparent pixel keeps its stored colour);</item>
/// <item>EXIF orientation is NOT applied (PIL's open + convert leaves it to ImageOps.exif_transpose, which these
/// pipelines do not call), and embedded colour profiles are ignored (no colour-space conversion), as in PIL;</item>
/// <item>grey images are replicated to three channels, paletted ones expanded.</item>
/// </list>
/// The pixel count is read from the header and capped before any pixel buffer is allocated; empty, truncated and
/// undecodable files throw <see cref="ImageDecodeException"/> naming the file.
/// </summary>
public static class ImageDecoder
{
    /// <summary>PIL's own decompression-bomb threshold (Image.MAX_IMAGE_PIXELS).</summary>
    public const long DefaultMaxPixels = 89_478_485;

    public static readonly IReadOnlyList<string> Extensions = [".jpg", ".jpeg", ".png", ".webp", ".bmp", ".gif"];

    public static bool IsImagePath(string path) => Extensions.Contains(Path.GetExtension(path).ToLowerInvariant());

    public static RgbImage DecodeFile(string path, long maxPixels = DefaultMaxPixels)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new ImageDecodeException(path, "no such file", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ImageDecodeException(path, $"cannot read the file: {e.Message}", e);
        }
        return Decode(bytes, path, maxPixels);
    }

    /// <param name="key">Names the image in errors (a path, or a parquet file and row).</param>
    public static RgbImage Decode(ReadOnlySpan<byte> bytes, string key, long maxPixels = DefaultMaxPixels)
    {
        if (bytes.Length == 0) throw new ImageDecodeException(key, "the file is empty");
        // The codec takes ownership of the stream.
        using var codec = SKCodec.Create(new SKMemoryStream(bytes.ToArray()), out var result);
        if (codec is null) throw new ImageDecodeException(key, $"not a decodable image ({Describe(result)})");
        var info = codec.Info;
        if (info.Width < 1 || info.Height < 1) throw new ImageDecodeException(key, $"the image has no pixels ({info.Width}x{info.Height})");
        if ((long)info.Width * info.Height > maxPixels)
            throw new ImageDecodeException(key, $"the image is {info.Width}x{info.Height} = {(long)info.Width * info.Height} pixels, over the limit of {maxPixels}");
        // No colour space: Skia then does no profile conversion (PIL does none either).
        var target = new SKImageInfo(info.Width, info.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul, null);
        var rgba = new byte[(long)info.Width * info.Height * 4];
        SKCodecResult decoded;
        unsafe
        {
            fixed (byte* p = rgba)
                decoded = codec.GetPixels(target, (IntPtr)p, new SKCodecOptions(0)); // frame 0: a gif's first frame
        }
        // IncompleteInput is a truncated file: PIL refuses those too (unless LOAD_TRUNCATED_IMAGES is set).
        if (decoded != SKCodecResult.Success)
            throw new ImageDecodeException(key, $"{codec.EncodedFormat} data does not decode ({Describe(decoded)})");
        var rgb = new byte[(long)info.Width * info.Height * 3];
        for (long i = 0, j = 0; i < rgb.Length; i += 3, j += 4)
        {
            rgb[i] = rgba[j];
            rgb[i + 1] = rgba[j + 1];
            rgb[i + 2] = rgba[j + 2];
        }
        return new RgbImage(info.Width, info.Height, rgb);
    }

    static string Describe(SKCodecResult r) => r switch
    {
        SKCodecResult.IncompleteInput or SKCodecResult.ErrorInInput => "truncated or damaged data",
        SKCodecResult.Unimplemented => "unsupported format",
        SKCodecResult.InvalidInput => "invalid data",
        _ => r.ToString(),
    };
}
