using System.Buffers.Binary;
using MMInterp.Kernels.Datasets;
using MMInterp.Kernels.Images;
using SkiaSharp;
using Xunit;

namespace MMInterp.Kernels.Tests.Datasets;

public sealed class ImageDecoderTests
{
    [Theory]
    [InlineData(SKEncodedImageFormat.Png)]
    [InlineData(SKEncodedImageFormat.Webp)]
    [InlineData(SKEncodedImageFormat.Jpeg)]
    public void Decodes_to_rgb_of_the_right_size(SKEncodedImageFormat format)
    {
        var img = ImageDecoder.Decode(TestImages.Encode(7, 5, 200, 10, 30, format), "x");
        Assert.Equal((7, 5), (img.Width, img.Height));
        Assert.InRange(img.Pixels[0], 190, 210); // lossy formats move colours a little
        Assert.InRange(img.Pixels[2], 20, 40);
    }

    [Fact]
    public void Alpha_is_dropped_not_composited_as_pil_convert_rgb()
    {
        // rgba_3x1.png and PIL's convert("RGB") of it come from make_preprocess_goldens.py.
        var dir = Path.Combine(AppContext.BaseDirectory, "Images", "Fixtures");
        using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "goldens.json")));
        var pil = doc.RootElement.GetProperty("rgba_3x1_as_rgb").EnumerateArray().Select(e => (byte)e.GetInt32()).ToArray();
        var ours = ImageDecoder.DecodeFile(Path.Combine(dir, "rgba_3x1.png"));
        Assert.Equal(pil, ours.Pixels);
    }

    [Fact]
    public void Gif_gives_its_first_frame_as_pil_does()
    {
        var dir = Path.Combine(AppContext.BaseDirectory, "Images", "Fixtures");
        using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "goldens.json")));
        var pil = doc.RootElement.GetProperty("gif_first_frame_as_rgb").EnumerateArray().Select(e => (byte)e.GetInt32()).ToArray();
        var ours = ImageDecoder.DecodeFile(Path.Combine(dir, "chelsea_2frames.gif"));
        Assert.Equal((20, 12), (ours.Width, ours.Height));
        Assert.Equal(pil, ours.Pixels);
    }

    [Fact]
    public void Bmp_decodes()
    {
        var bmp = File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Images", "Fixtures", "chelsea_1x1.bmp"));
        Assert.Equal(1, ImageDecoder.Decode(bmp, "c.bmp").Width);
    }

    [Fact]
    public void Empty_garbage_and_truncated_files_throw_naming_the_file()
    {
        var e1 = Assert.Throws<ImageDecodeException>(() => ImageDecoder.Decode([], "empty.png"));
        Assert.StartsWith("empty.png: ", e1.Message);
        Assert.Contains("empty", e1.Problem);
        var e2 = Assert.Throws<ImageDecodeException>(() => ImageDecoder.Decode("this is not an image"u8, "garbage.jpg"));
        Assert.StartsWith("garbage.jpg: ", e2.Message);
        var png = TestImages.Encode(64, 64, 1, 2, 3);
        var e3 = Assert.Throws<ImageDecodeException>(() => ImageDecoder.Decode(png.AsSpan(0, png.Length / 2), "half.png"));
        Assert.Contains("truncated", e3.Message);
        var jpg = TestImages.Encode(64, 64, 1, 2, 3, SKEncodedImageFormat.Jpeg);
        Assert.Throws<ImageDecodeException>(() => ImageDecoder.Decode(jpg.AsSpan(0, jpg.Length / 2), "half.jpg"));
        var missing = Assert.Throws<ImageDecodeException>(() => ImageDecoder.DecodeFile("/nonexistent/a.png"));
        Assert.Contains("/nonexistent/a.png", missing.Message);
    }

    [Fact]
    public void Huge_dimensions_are_refused_from_the_header_before_allocating()
    {
        // A PNG whose header claims 100000 x 100000 pixels and holds no pixel data.
        var e = Assert.Throws<ImageDecodeException>(() => ImageDecoder.Decode(PngHeader(100_000, 100_000), "bomb.png"));
        Assert.Contains("100000x100000", e.Message);
        Assert.Contains("over the limit", e.Message);
        var small = TestImages.Encode(10, 10, 1, 2, 3);
        Assert.Throws<ImageDecodeException>(() => ImageDecoder.Decode(small, "s.png", maxPixels: 99));
        Assert.Equal(10, ImageDecoder.Decode(small, "s.png", maxPixels: 100).Width);
    }

    static byte[] PngHeader(int width, int height)
    {
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = 8; ihdr[9] = 2; // 8-bit RGB
        return new byte[] { 137, 80, 78, 71, 13, 10, 26, 10 }
            .Concat(Chunk("IHDR", ihdr)).Concat(Chunk("IDAT", [0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01])).Concat(Chunk("IEND", [])).ToArray();
    }

    static byte[] Chunk(string type, byte[] data)
    {
        var typed = System.Text.Encoding.ASCII.GetBytes(type).Concat(data).ToArray();
        var result = new List<byte>();
        var len = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(len, data.Length);
        result.AddRange(len);
        result.AddRange(typed);
        var crc = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(crc, Crc32(typed));
        result.AddRange(crc);
        return result.ToArray();
    }

    static uint Crc32(byte[] data)
    {
        var c = 0xFFFFFFFFu;
        foreach (var b in data)
        {
            c ^= b;
            for (var k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        }
        return c ^ 0xFFFFFFFFu;
    }
}
