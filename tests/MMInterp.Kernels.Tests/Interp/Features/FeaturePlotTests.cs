using MMInterp.Kernels.Plots;
using MMInterp.Kernels.ShapesWorld;
using SkiaSharp;
using Xunit;

namespace MMInterp.Kernels.Tests.Interp.Features;

/// <summary>Feature pictures without a model: heatmaps dim inactive patches, histograms survive dead features, bad
/// activations are refused.</summary>
public class FeaturePlotTests
{
    [Fact]
    public void HeatmapDimsPatchesThatDoNotFire()
    {
        var world = new ShapesWorldGenerator(new ShapesWorldConfig { MinObjects = 1, MaxObjects = 1 });
        // A small centred object leaves the corner patches on the grey background.
        var scene = new Scene(0, 0, Background.Grey, [new SceneObject(Shape.Circle, Colour.Red, Size.Small, Position.Centre, Fill.Solid)], null);
        var tokens = new float[65];
        tokens[1] = 2f; // only the top-left patch fires
        var path = Path.Combine(Path.GetTempPath(), $"top-{Guid.NewGuid():N}.png");
        var size = world.Config.ImageSize;
        (float[], string)[] images = [(world.Render(scene).Rgb, "#0")];
        try
        {
            FeatureTopExamplesPng.Write(images, size, [tokens], 8, "feature 0", path);
            using var bitmap = SKBitmap.Decode(path);
            const int d = Raster.DeviceScale;
            Assert.Equal((10 + 138) * d, bitmap.Width);
            // Tile at (10, 28), 4x scale (in logical pixels, each d device pixels): the first patch keeps the grey
            // background, the last patch is dimmed.
            var (rgb, _) = world.Render(scene);
            var grey = Raster.Rgb(rgb[0], rgb[1024], rgb[2048]);
            var fired = bitmap.GetPixel((10 + 8) * d, (28 + 8) * d);
            var dimmed = bitmap.GetPixel((10 + 128 - 4) * d, (28 + 128 - 4) * d);
            Assert.Equal(grey, fired);
            Assert.True(dimmed.Red < grey.Red / 2, $"inactive patch {dimmed} should be darker than the background {grey}");

            Assert.Throws<ArgumentException>(() => FeatureTopExamplesPng.Write(images, size, [new float[10]], 8, "t", path));
            Assert.Throws<ArgumentException>(() => FeatureTopExamplesPng.Write(images, size, [Enumerable.Repeat(float.NaN, 65).ToArray()], 8, "t", path));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void HistogramDrawsLiveAndDeadFeatures()
    {
        var path = Path.Combine(Path.GetTempPath(), $"hist-{Guid.NewGuid():N}.png");
        try
        {
            var rng = new Random(1);
            var values = Enumerable.Range(0, 500).Select(_ => rng.NextDouble() < 0.3 ? (float)(rng.NextDouble() * 3) : 0f).ToArray();
            ActivationHistogramPng.Write(values, "feature 1", path);
            using (var bitmap = SKBitmap.Decode(path))
            {
                Assert.Equal(640 * Raster.DeviceScale, bitmap.Width);
                var blue = 0;
                for (var y = 0; y < bitmap.Height; y++)
                for (var x = 0; x < bitmap.Width; x++)
                    if (bitmap.GetPixel(x, y) == new SKColor(30, 110, 220)) blue++;
                Assert.True(blue > 1000, $"only {blue} bar pixels");
            }
            ActivationHistogramPng.Write(new float[100], "dead feature", path);
            using (var bitmap = SKBitmap.Decode(path)) Assert.Equal(360 * Raster.DeviceScale, bitmap.Height);
            Assert.Throws<ArgumentException>(() => ActivationHistogramPng.Write([1f, float.NaN], "bad", path));
            Assert.Throws<ArgumentException>(() => ConceptRecoveryPng.Write([], path));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
