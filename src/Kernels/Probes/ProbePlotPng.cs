using MMInterp.Kernels.Plots;
using SkiaSharp;

namespace MMInterp.Kernels.Probes;

/// <summary>Probe accuracy against block, one line per attribute, with each attribute's chance level dashed.</summary>
public static class ProbePlotPng
{
    public static void Write(ProbeSweepResult result, string path)
    {
        const int width = 640, height = 420, left = 70, right = 170, top = 40, bottom = 60;
        using var r = new Raster(width, height, SKColors.White);
        var plotW = width - left - right;
        var plotH = height - top - bottom;
        var layers = result.Accuracy.Values.First().Length;
        float X(int layer) => left + (layers == 1 ? plotW / 2f : plotW * layer / (float)(layers - 1));
        float Y(double acc) => top + plotH * (float)(1 - acc);
        var axis = new SKColor(60, 60, 60);
        var grid = new SKColor(225, 225, 225);
        for (var tick = 0; tick <= 10; tick += 2)
        {
            var y = Y(tick / 10.0);
            r.Line(left, y, left + plotW, y, grid);
            r.Text((tick / 10.0).ToString("0.0", System.Globalization.CultureInfo.InvariantCulture), left - 6, y - 4, axis, ChartFont.Size(2), SKTextAlign.Right);
        }
        for (var layer = 0; layer < layers; layer++)
        {
            r.Line(X(layer), top + plotH, X(layer), top + plotH + 5, axis);
            r.Text(layer.ToString(System.Globalization.CultureInfo.InvariantCulture), X(layer), top + plotH + 10, axis, ChartFont.Size(2), SKTextAlign.Center);
        }
        r.Line(left, top, left, top + plotH, axis, 1.5f);
        r.Line(left, top + plotH, left + plotW, top + plotH, axis, 1.5f);
        r.TextFit($"block ({result.Config.Tower} {result.Config.NormalHook} {result.Config.Position})", left, height - 24, width - left - 8, axis);
        r.Text("held-out probe accuracy", left, 12, axis);
        var key = new List<(string, SKColor)>();
        foreach (var (attribute, acc) in result.Accuracy)
        {
            var colour = SeriesMarks.Colour(key.Count);
            SeriesMarks.Dashed(r, left, left + plotW, Y(ProbeSweepResult.Chance(attribute)), colour);
            SeriesMarks.Line(r, Enumerable.Range(0, layers).Select(layer => new SKPoint(X(layer), Y(acc[layer]))).ToList(), colour);
            key.Add((attribute.ToString().ToLowerInvariant(), colour));
        }
        SeriesMarks.Key(r, key, left + plotW + 16, top + 10, dashedChance: true, axis);
        r.SavePng(path);
    }
}
