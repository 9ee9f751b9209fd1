using SkiaSharp;

namespace MMInterp.Kernels.Plots;

/// <summary>
/// The typeface every chart writes in: DejaVu Sans (Debian's fonts-dejavu-core 2.37; Bitstream Vera licence in
/// Fonts/DejaVuSans-LICENSE.txt), embedded in this assembly because the NoDependencies Skia build finds no system
/// fonts and a clean machine may have none. ShapesWorld scenes keep their own bitmap font (Images/BitmapFont).
/// </summary>
public static class ChartFont
{
    const string Resource = "MMInterp.Kernels.Plots.Fonts.DejaVuSans.ttf";
    static readonly Lazy<SKTypeface> Loaded = new(Load);

    public static SKTypeface Typeface => Loaded.Value;

    /// <summary>The pixel size of text at a chart's text scale: 2 for ordinary labels, 1 for small print (the scales
    /// of the bitmap font the charts used before, so call sites kept their meaning).</summary>
    public static float Size(int scale) => scale switch { <= 1 => 10f, 2 => 12f, _ => 6f * scale };

    static SKTypeface Load()
    {
        using var stream = typeof(ChartFont).Assembly.GetManifestResourceStream(Resource)
            ?? throw new InvalidOperationException($"{Resource}: the chart font is missing from the Kernels assembly (see src/Kernels/MMInterp.Kernels.csproj)");
        var data = SKData.Create(stream);
        return SKTypeface.FromData(data) ?? throw new InvalidOperationException($"{Resource}: SkiaSharp cannot read the embedded chart font");
    }
}
