using System.IO.Compression;
using System.Text.Json;
using MMInterp.Kernels.Images;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Tests.Images;

/// <summary>
/// Our decode + CLIP preprocessing against torchvision's (goldens from make_preprocess_goldens.py, run under Debian's
/// python3-torchvision on real photographs and odd-size crops). Bound: mean absolute difference after normalisation
/// below 1e-5 per image and max below 1e-3. One 8-bit step is 1/255/0.27 = 0.0146 after normalisation, so the max
/// bound says no pixel differs by even one level after decode, resize and crop: only float32 rounding of the
/// rescale/normalise arithmetic remains (measured: mean 3.5e-8 .. 1.9e-7, max 4.8e-7).
/// </summary>
public sealed class ClipImageProcessorTests(ITestOutputHelper output)
{
    static readonly string Dir = Path.Combine(AppContext.BaseDirectory, "Images", "Fixtures");

    sealed record Golden(string Input, int Size, string File);

    static IEnumerable<Golden> Goldens()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Dir, "goldens.json")));
        foreach (var g in doc.RootElement.GetProperty("goldens").EnumerateArray())
            yield return new Golden(g.GetProperty("input").GetString()!, g.GetProperty("size").GetInt32(), g.GetProperty("golden").GetString()!);
    }

    static float[] ReadGolden(string file)
    {
        using var gz = new GZipStream(File.OpenRead(Path.Combine(Dir, file)), CompressionMode.Decompress);
        using var ms = new MemoryStream();
        gz.CopyTo(ms);
        var bytes = ms.ToArray();
        var values = new float[bytes.Length / 4];
        Buffer.BlockCopy(bytes, 0, values, 0, bytes.Length);
        return values;
    }

    [Fact]
    public void Matches_torchvision_on_real_photographs_and_odd_sizes()
    {
        var goldens = Goldens().ToList();
        Assert.Equal(14, goldens.Count);
        double worstMean = 0, worstMax = 0, sum = 0;
        foreach (var g in goldens)
        {
            var processor = new ClipImageProcessor(new ClipPreprocessorConfig { Size = ResizeTarget.Shortest(g.Size), CropSize = (g.Size, g.Size) });
            var image = ImageDecoder.DecodeFile(Path.Combine(Dir, g.Input));
            using var pixels = processor.ToPixels([image]);
            Assert.Equal(new long[] { 1, 3, g.Size, g.Size }, pixels.shape);
            var ours = pixels.data<float>().ToArray();
            var theirs = ReadGolden(g.File);
            Assert.Equal(theirs.Length, ours.Length);
            double total = 0, max = 0;
            for (var i = 0; i < ours.Length; i++)
            {
                var d = Math.Abs(ours[i] - theirs[i]);
                total += d;
                max = Math.Max(max, d);
            }
            var mean = total / ours.Length;
            output.WriteLine($"{g.Input} ({image.Width}x{image.Height}) -> {g.Size}: mean |diff| {mean:E2}, max {max:E2}");
            worstMean = Math.Max(worstMean, mean);
            worstMax = Math.Max(worstMax, max);
            sum += mean;
            Assert.True(mean < 1e-5, $"{g.Input} at {g.Size}: mean absolute difference {mean:E3} over the 1e-5 bound");
            Assert.True(max < 1e-3, $"{g.Input} at {g.Size}: max difference {max:E3} over 1e-3 (a whole 8-bit level differs)");
        }
        output.WriteLine($"all {goldens.Count}: mean of means {sum / goldens.Count:E2}, worst mean {worstMean:E2}, worst max {worstMax:E2}");
    }

    [Fact]
    public void Resized_size_follows_torchvision_truncation()
    {
        Assert.Equal((224, 37333), ClipImageProcessor.ResizedSize(3, 500, ResizeTarget.Shortest(224)));
        Assert.Equal((336, 224), ClipImageProcessor.ResizedSize(300, 200, ResizeTarget.Shortest(224)));
        Assert.Equal((37, 43), ClipImageProcessor.ResizedSize(257, 299, ResizeTarget.Shortest(37))); // 43.03 -> 43
        Assert.Equal((10, 20), ClipImageProcessor.ResizedSize(300, 200, ResizeTarget.Exact(10, 20)));
    }

    [Fact]
    public void Center_crop_pads_with_zeros_when_the_image_is_smaller()
    {
        var img = new RgbImage(1, 1, [10, 20, 30]);
        var c = ClipImageProcessor.CenterCrop(img, 3, 3);
        Assert.Equal(new byte[] { 10, 20, 30 }, c.Pixels[12..15]); // the centre
        Assert.Equal(27 - 3, c.Pixels.Count(b => b == 0));
    }

    [Fact]
    public void Unnormalised_fallback_gives_zoo_pixels_in_unit_range()
    {
        var white = new RgbImage(4, 2, Enumerable.Repeat((byte)255, 24).ToArray());
        using var px = ClipImageProcessor.ForUnnormalised(8).ToPixels([white]);
        Assert.Equal(new long[] { 1, 3, 8, 8 }, px.shape);
        Assert.Equal(1f, px.min().item<float>(), 6);
        Assert.Equal(1f, px.max().item<float>(), 6);
    }

    [Fact]
    public void Preprocessor_config_reads_hf_fields_and_names_the_file_on_errors()
    {
        var dir = Directory.CreateTempSubdirectory("ppcfg").FullName;
        try
        {
            var path = Path.Combine(dir, "preprocessor_config.json");
            File.WriteAllText(path, """
                {"crop_size": {"height": 336, "width": 336}, "do_center_crop": true, "do_normalize": true, "do_resize": true,
                 "image_processor_type": "CLIPImageProcessor", "image_mean": [0.5, 0.5, 0.5], "image_std": [0.25, 0.25, 0.25],
                 "resample": 3, "rescale_factor": 0.00392156862745098, "size": {"shortest_edge": 336}}
                """);
            var c = ClipPreprocessorConfig.Load(path);
            Assert.Equal(336, c.Size.ShortestEdge);
            Assert.Equal((336, 336), c.CropSize);
            Assert.Equal(0.25f, c.ImageStd[1]);
            Assert.Equal(336, ClipImageProcessor.ForCheckpoint(dir, 32).OutputSize);
            File.WriteAllText(path, """{"size": 224, "crop_size": 224, "resample": 2}""");
            var e = Assert.Throws<InvalidDataException>(() => ClipPreprocessorConfig.Load(path));
            Assert.Contains(path, e.Message);
            Assert.Contains("resample 2", e.Message);
            File.Delete(path);
            Assert.Equal(32, ClipImageProcessor.ForCheckpoint(dir, 32).OutputSize);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}
