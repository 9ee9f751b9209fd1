using MMInterp.Kernels.Plots;
using SkiaSharp;
using Xunit;

namespace MMInterp.Kernels.Tests.Plots;

/// <summary>The sweep's Pareto plot and training curves are real PNGs with ink where the data is.</summary>
public class PlotPngTests
{
    [Fact]
    public void ParetoPlotDrawsTheFrontInRed()
    {
        var path = Path.Combine(Path.GetTempPath(), $"pareto-{Guid.NewGuid():N}.png");
        try
        {
            ParetoPlotPng.Write(path, [("k=8", 8, 0.30, true), ("k=16", 16, 0.15, true), ("k=12", 12, 0.40, false)], "sweep");
            using var bitmap = SKBitmap.Decode(path);
            Assert.Equal(720 * Raster.DeviceScale, bitmap.Width);
            var red = 0;
            for (var y = 0; y < bitmap.Height; y++)
            for (var x = 0; x < bitmap.Width; x++)
                if (bitmap.GetPixel(x, y) == new SKColor(210, 40, 40)) red++;
            Assert.True(red > 100, $"only {red} red pixels: the front was not drawn");
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void CurveAndParetoRefuseEmptyData()
    {
        var path = Path.Combine(Path.GetTempPath(), $"curve-{Guid.NewGuid():N}.png");
        Assert.Throws<ArgumentException>(() => CurvePng.Write(path, [(1, double.NaN)], "t", "x", "y"));
        Assert.Throws<ArgumentException>(() => ParetoPlotPng.Write(path, [("a", double.NaN, 0.1, false)], "t"));
        Assert.False(File.Exists(path));
    }
}
