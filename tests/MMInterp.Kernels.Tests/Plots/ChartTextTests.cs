using System.Globalization;
using MMInterp.Kernels.Analyses;
using MMInterp.Kernels.Interp.Steering;
using MMInterp.Kernels.Interp.Vlm;
using MMInterp.Kernels.Plots;
using MMInterp.Kernels.ShapesWorld;
using SkiaSharp;
using Xunit;

namespace MMInterp.Kernels.Tests.Plots;

/// <summary>
/// Chart text measured where it was drawn (<see cref="TextLog"/>): long titles and many long category labels stay
/// inside the canvas, no two strings overlap, every label can be read in full somewhere, and value axes tick at round
/// numbers. The PNG holds two device pixels per logical one.
/// </summary>
public class ChartTextTests : IDisposable
{
    // MMINTERP_CHART_DIR keeps the pictures there, to look at them.
    static readonly string? Keep = Environment.GetEnvironmentVariable("MMINTERP_CHART_DIR");
    readonly string _dir = Keep ?? Path.Combine(Path.GetTempPath(), $"chart-text-{Guid.NewGuid():N}");

    const string LongTitle = "mean zero-shot probability: grey before, blue after the clamp, with the target value outlined, "
                             + "per feature of the dictionary trained on vision.blocks.3.resid_post over four seeds";

    static readonly string[] LongLabels = Enumerable.Range(0, 14)
        .Select(i => $"{new[] { "red", "green", "blue", "yellow", "purple", "orange", "grey" }[i % 7]} {(i < 7 ? "words" : "shapes")} on vision.blocks.{i}.mlp_out (attacked)")
        .ToArray();

    public void Dispose()
    {
        if (Keep is null && Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public void ALongTitleAndManyLongCategoryLabelsAreNeitherCutNorOverlapping()
    {
        var path = Path.Combine(_dir, "bars.png");
        var rng = new Random(7);
        using var log = TextLog.Record();
        GroupedBarPng.Write(path, LongLabels,
            [new("feature clamped", LongLabels.Select(_ => rng.NextDouble()).ToList()), new("random direction of equal norm", LongLabels.Select(_ => rng.NextDouble()).ToList())],
            LongTitle, "share of answers turned to the concept");

        AssertInsideAndApart(log.Entries);
        var text = string.Join(" ", log.Entries.Select(e => e.Text));
        // The title is all there (wrapped or not), and every label is readable in full: on the axis or in the key.
        Assert.All(LongTitle.Split(' '), word => Assert.Contains(word, text));
        Assert.All(LongLabels, label => Assert.Contains(label, text));
        AssertTwiceTheLogicalSize(path, log.Entries[0]);
    }

    [Fact]
    public void ShortLabelsThatFitStayLevelAndWhole()
    {
        var labels = CategoryLabels.Fit(["red", "green", "blue"], 60);
        Assert.False(labels.Rotated);
        Assert.Equal(["red", "green", "blue"], labels.Shown);
        Assert.Null(labels.Key);
        // Words that each fit the slot wrap onto level lines rather than turn.
        var phrases = CategoryLabels.Fit(["colour words (120)", "shape words (96)", "all words (216)"], 70);
        Assert.False(phrases.Rotated);
        Assert.True(phrases.Height > 2 * ChartFont.Size(2), $"wrapped labels need more than one line, got {phrases.Height}");
        var turned = CategoryLabels.Fit(LongLabels, 30);
        Assert.True(turned.Rotated);
        Assert.NotNull(turned.Key);
        Assert.All(turned.Shown, l => Assert.True(Raster.TextWidth(l, ChartFont.Size(2)) <= CategoryLabels.MaxRotated + 0.5f, l));
    }

    [Fact]
    public void LinePlotsTickAtRoundNumbersAndKeepEveryStringInside()
    {
        var curve = Path.Combine(_dir, "curve.png");
        var series = Path.Combine(_dir, "series.png");
        var pareto = Path.Combine(_dir, "pareto.png");
        var concepts = Path.Combine(_dir, "concepts.png");
        using var log = TextLog.Record();
        // FVU values whose old fifths were 0.0972, 0.194, ...
        CurvePng.Write(curve, Enumerable.Range(0, 30).Select(i => (i * 137.0, 0.486 * Math.Exp(-i / 10.0))).ToList(), LongTitle, "step", "FVU");
        var curveEntries = log.Entries.ToList();
        SeriesPlotPng.Write(series, [new("colour of the largest object", [(0, 0.2), (0.5, 0.6), (1, 0.93)], 0.14), new("shape", [(0, 0.3), (1, 0.7)], 0.2)],
            LongTitle, "noise level", "held-out probe accuracy", reverseX: true);
        ParetoPlotPng.Write(pareto, [("k=8", 8, 0.31, true), ("k=16", 16, 0.17, true), ("k=32", 31, 0.09, true), ("k=12", 12, 0.41, false)], LongTitle);
        ConceptRecoveryPng.Write(LongLabels.Take(6).Select((l, i) => new ConceptRecoveryPng.Row(l, 0.1 * i, 0.05 * i, 0.02, 0.03)).ToList(), concepts);

        foreach (var picture in log.Entries.GroupBy(e => (e.CanvasWidth, e.CanvasHeight))) AssertInsideAndApart(picture.ToList());
        var numbers = curveEntries.Select(e => double.TryParse(e.Text, NumberStyles.Float | NumberStyles.AllowThousands, CultureInfo.InvariantCulture, out var v) ? v : (double?)null)
            .OfType<double>().ToList();
        Assert.Contains(0.1, numbers);
        Assert.Contains(0.5, numbers);
        Assert.DoesNotContain(numbers, v => Math.Abs(v - 0.0972) < 1e-6);
        foreach (var v in numbers)
        {
            // Every tick is a whole multiple of 0.1 (y) or of a round step of the steps (x).
            var tenths = v * 10;
            Assert.True(Math.Abs(tenths - Math.Round(tenths)) < 1e-9, $"tick {v} is not round");
        }
        AssertTwiceTheLogicalSize(curve, curveEntries[0]);
    }

    [Fact]
    public void GridsHistogramsAndPatchMapsKeepTheirTextInsideAndApart()
    {
        var rng = new Random(3);
        var rgb = Enumerable.Range(0, 3 * 16 * 16).Select(_ => (float)rng.NextDouble()).ToArray();
        var values = new double[6, 9];
        for (var a = 0; a < 6; a++)
        for (var b = 0; b < 9; b++) values[a, b] = rng.NextDouble();
        var pictures = new List<List<TextLog.Entry>>();
        void Drawn(Action draw)
        {
            using var log = TextLog.Record();
            draw();
            pictures.Add(log.Entries.ToList());
        }
        Drawn(() => HeatmapPng.Write(Path.Combine(_dir, "heat.png"), values, LongLabels.Take(6).ToList(), LongTitle,
            Enumerable.Range(0, 9).Select(i => $"tok{i}").ToList(), Enumerable.Range(0, 9).Select(i => i % 3 == 0).ToArray()));
        Drawn(() => PatchMapPng.Write(Path.Combine(_dir, "patches.png"), rgb, 16, 4,
            [new("layer 0: decoded words", Words: Enumerable.Range(0, 16).Select(i => LongLabels[i % 14].Split(' ')[0] + "ness").ToArray()),
             new("layer 1 activation, a long panel title", Values: Enumerable.Range(0, 16).Select(i => i / 16.0).ToArray())],
            Enumerable.Range(0, 16).Select(i => i == 5).ToArray(), LongTitle));
        Drawn(() => ImageGridPng.Write(Path.Combine(_dir, "grid.png"), [[rgb, null, rgb], [null, rgb, rgb]], 16, ["layer 0", "layer 11"],
            ["step 0", "step 25", "step 49 (last)"], LongTitle));
        Drawn(() => ActivationHistogramPng.Write(Enumerable.Range(0, 400).Select(_ => (float)(rng.NextDouble() * 7.3)).ToList(), LongTitle, Path.Combine(_dir, "hist.png")));
        Drawn(() => FeatureTopExamplesPng.Write([(rgb, "#12345 (photo_of_a_cat.jpg)"), (rgb, "#2")], 16,
            [Enumerable.Range(0, 17).Select(i => i * 0.37f).ToArray(), new float[17]], 4, LongTitle, Path.Combine(_dir, "top.png")));
        Drawn(() => MMInterp.Kernels.Sae.Metrics.DensityHistogram.WritePng(Path.Combine(_dir, "density.png"),
            Enumerable.Range(0, 2000).Select(_ => rng.NextDouble() < 0.1 ? 0f : (float)Math.Pow(10, -6 * rng.NextDouble())).ToList(), LongTitle));
        foreach (var entries in pictures) AssertInsideAndApart(entries);
    }

    [Fact]
    public void AnalysisBarChartsKeepTheirTitlesAndWordsWhole()
    {
        // One panel was 240 px wide and cut its title ("MEAN ZERO-SHOT PROBABILITY: G"); its words ran together.
        var pictures = new List<List<TextLog.Entry>>();
        void Drawn(Action draw)
        {
            using var log = TextLog.Record();
            draw();
            pictures.Add(log.Entries.ToList());
        }
        FeatureSteering Trial(ObjectAttribute attribute, int feature)
        {
            var n = AttributeWords.Count(attribute);
            return new FeatureSteering(feature, 4.5, new SteeringTarget(attribute, 1), 40, 0.1, 0.6, 0.45, true,
                Enumerable.Range(0, n).Select(i => 1.0 / n).ToList(), Enumerable.Range(0, n).Select(i => i == 1 ? 0.7 : 0.3 / n).ToList());
        }
        Drawn(() => SteeringPlotPng.Write([Trial(ObjectAttribute.Colour, 12)], Path.Combine(_dir, "steering-one.png")));
        Drawn(() => SteeringPlotPng.Write(Enum.GetValues<ObjectAttribute>().Select((a, i) => Trial(a, 1000 + i)).ToList(), Path.Combine(_dir, "steering.png")));
        var concepts = LongLabels.Take(9).Select((l, i) => new VlmConceptSteering(l, l.Split(' ')[0] + (i > 6 ? "-ish-and-more-words" : ""), i, 0.9, 3, 20, 0.1 * i, 0.05, 0.02)).ToList();
        Drawn(() => VlmSteeringPng.Write(new VlmSteeringResult(new VlmSteeringConfig(), 256, 0.9, concepts), Path.Combine(_dir, "vlm-steering.png")));
        var figures = ClipLayers.Measures.SelectMany(m => m.Controls.Prepend(m.Figure)).Distinct().ToDictionary(f => f, f => f.Length % 7 / 7.0);
        Drawn(() => ClipLayersPng.Write(LongLabels.Take(5).Select(l => new ClipLayerRow(l, "vision.blocks.0.hook_resid_post", "all", null, null, figures)).ToList(),
            LongTitle, Path.Combine(_dir, "clip-layers.png")));
        foreach (var entries in pictures) AssertInsideAndApart(entries);
        var oneText = string.Join(" ", pictures[0].Select(e => e.Text));
        Assert.Contains("mean zero-shot probability: grey before, blue after the clamp; target outlined", oneText);
        Assert.All(AttributeWords.Words(ObjectAttribute.Colour), w => Assert.Contains(pictures[0], e => e.Text == w));
    }

    static void AssertInsideAndApart(IReadOnlyList<TextLog.Entry> entries)
    {
        Assert.NotEmpty(entries);
        foreach (var e in entries)
        {
            var b = e.Box;
            Assert.True(b.Left >= -0.5f && b.Top >= -0.5f && b.Right <= e.CanvasWidth + 0.5f && b.Bottom <= e.CanvasHeight + 0.5f,
                $"'{e.Text}' at {b} leaves the {e.CanvasWidth}x{e.CanvasHeight} canvas");
        }
        for (var i = 0; i < entries.Count; i++)
        for (var j = i + 1; j < entries.Count; j++)
        {
            var (a, b) = (entries[i].Box, entries[j].Box);
            // Boxes run from ascender to descender: a pixel of touching between lines is not overlap.
            var overlap = Math.Min(a.Right, b.Right) - Math.Max(a.Left, b.Left) > 1 && Math.Min(a.Bottom, b.Bottom) - Math.Max(a.Top, b.Top) > 1.5f;
            Assert.False(overlap, $"'{entries[i].Text}' at {a} overlaps '{entries[j].Text}' at {b}");
        }
    }

    static void AssertTwiceTheLogicalSize(string path, TextLog.Entry any)
    {
        using var bitmap = SKBitmap.Decode(path);
        Assert.Equal((any.CanvasWidth * Raster.DeviceScale, any.CanvasHeight * Raster.DeviceScale), (bitmap.Width, bitmap.Height));
    }
}
