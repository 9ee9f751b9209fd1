using MMInterp.Kernels.Datasets;
using MMInterp.Kernels.Extraction;
using MMInterp.Kernels.Images;
using MMInterp.Kernels.Tests.Clip;
using SkiaSharp;
using Xunit;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Tests.Datasets;

/// <summary>The CLIP extractor over a user dataset: rows equal a direct forward of the preprocessed images, bad items are skipped and named.</summary>
public sealed class ClipImageExtractorTests : IDisposable
{
    readonly string _dir = TestImages.TempDir("extract");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Rows_equal_a_direct_forward_and_corrupt_parquet_rows_are_skipped()
    {
        var good = new[] { TestImages.Encode(11, 9, 10, 20, 30), TestImages.Encode(8, 13, 200, 20, 30, SKEncodedImageFormat.Jpeg) };
        await ParquetFixtures.WriteAsync(Path.Combine(_dir, "d.parquet"),
            [new(good[0], "a.png", "a", 0), new("broken"u8.ToArray(), "b.png", "b", 1), new(good[1], "c.jpg", "c", 1)], ["x", "y"]);
        var ds = ImageDatasets.Open($"parquet:{Path.Combine(_dir, "d.parquet")}");
        using var model = TinyClip.Model(layers: 2);
        var pre = ClipImageProcessor.ForUnnormalised(8);
        const string hook = "vision.blocks.1.hook_resid_post";
        var result = ClipImageExtractor.Extract(model, pre, ds, [0, 1, 2], [hook], batchSize: 2);
        Assert.Equal(2, result.Images);
        Assert.Equal("d.parquet#1", Assert.Single(result.Skipped).Key);
        using var rows = result.Rows[hook];

        using var pixels = pre.ToPixels(good.Select(b => ImageDecoder.Decode(b, "x")).ToList());
        var direct = new List<Tensor>();
        using (no_grad())
        using (model.Hooks.Scope())
        {
            model.Hooks.Add(hook, (t, _) => { direct.Add(t.reshape(-1, t.shape[^1]).clone()); return t; });
            model.VisionModel.Forward(pixels);
        }
        Assert.Equal(direct[0].shape, rows.shape);
        Assert.True(direct[0].allclose(rows, rtol: 0, atol: 1e-6), "rows differ from a direct forward of the same pixels");
    }

    [Fact]
    public async Task A_batch_of_only_bad_items_gives_zero_rows_of_the_right_width()
    {
        await ParquetFixtures.WriteAsync(Path.Combine(_dir, "bad.parquet"), [new("x"u8.ToArray(), "a.png", "a", 0)], ["x"]);
        var ds = ImageDatasets.Open($"parquet:{Path.Combine(_dir, "bad.parquet")}");
        using var model = TinyClip.Model();
        var result = ClipImageExtractor.Extract(model, ClipImageProcessor.ForUnnormalised(8), ds, [0], ["vision.blocks.0.hook_resid_post"]);
        Assert.Equal(0, result.Images);
        Assert.Equal(new long[] { 0, 8 }, result.Rows["vision.blocks.0.hook_resid_post"].shape);
        Assert.StartsWith("bad.parquet#0: ", Assert.Single(result.Skipped).ToString());
    }
}
