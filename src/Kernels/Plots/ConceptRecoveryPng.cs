using System.Globalization;
using SkiaSharp;

namespace MMInterp.Kernels.Plots;

/// <summary>Per layer (hook): concept recovery and free-label accuracy as bars, with their controls (a fresh SAE's
/// recovery, random directions' label accuracy) as grey bars beside them where measured.</summary>
public static class ConceptRecoveryPng
{
    public sealed record Row(string Layer, double Recovery, double LabelAccuracy, double? RandomSaeRecovery = null, double? RandomLabelAccuracy = null);

    static readonly SKColor RecoveryColour = new(30, 110, 220), LabelColour = new(220, 90, 30), ControlColour = new(170, 170, 170);

    public static void Write(IReadOnlyList<Row> rows, string path)
    {
        if (rows.Count == 0) throw new ArgumentException("nothing to draw: no layers", nameof(rows));
        foreach (var row in rows)
            if (!double.IsFinite(row.Recovery)) throw new ArgumentException($"layer '{row.Layer}' has a non-finite concept recovery", nameof(rows));
        const int left = 60, right = 24, groupW = 130, plotH = 303, pad = 8;
        var width = Math.Max(520, left + right + rows.Count * groupW);
        int plotW = width - left - right;
        var slot = plotW / (float)rows.Count;
        var heading = TextBlock.Fit("concept recovery (blue) and free-label accuracy (orange); grey: controls", width - 2 * pad);
        var subheading = TextBlock.Fit("control: fresh SAE recovery / random-direction label accuracy", width - 2 * pad);
        var top = (int)MathF.Ceiling(pad + heading.Height + 4 + subheading.Height + 12);
        // Hook names share a long prefix: drop it when that lets every name sit level in its slot; else the labels turn
        // (and any shortened one is named in full under the chart).
        var stripped = rows.Select(row => row.Layer.Replace("vision.blocks.", "", StringComparison.Ordinal)).ToList();
        var labels = CategoryLabels.Fit(rows.Select(row => row.Layer).ToList(), slot);
        if (labels.Rotated && CategoryLabels.Fit(stripped, slot) is { Rotated: false } level) labels = level;
        var note = labels.Key is { } full ? TextBlock.Fit(full, width - 2 * pad, scale: 1) : null;
        var height = (int)MathF.Ceiling(top + plotH + 2 + labels.Height + (note is null ? 0 : note.Height + 8) + pad);
        using var r = new Raster(width, height, SKColors.White);
        var axis = new SKColor(60, 60, 60);
        float Y(double v) => top + plotH * (float)(1 - Math.Clamp(v, 0, 1));
        for (var t = 0; t <= 10; t += 2)
        {
            r.Line(left, Y(t / 10.0), left + plotW, Y(t / 10.0), new SKColor(225, 225, 225));
            r.Text((t / 10.0).ToString("0.0", CultureInfo.InvariantCulture), left - 6, Y(t / 10.0) - 4, axis, ChartFont.Size(2), SKTextAlign.Right);
        }
        r.Line(left, top, left, top + plotH, axis, 1.5f);
        r.Line(left, top + plotH, left + plotW, top + plotH, axis, 1.5f);
        heading.Draw(r, pad, pad, axis);
        subheading.Draw(r, pad, pad + heading.Height + 4, axis);
        for (var i = 0; i < rows.Count; i++)
        {
            var x0 = left + i * slot + 8;
            var barW = (slot - 16) / 4;
            void Bar(int k, double? v, SKColor c)
            {
                if (v is not { } value || !double.IsFinite(value)) return;
                r.FillRect(x0 + k * barW, Y(value), barW - 2, top + plotH - Y(value), c);
            }
            Bar(0, rows[i].Recovery, RecoveryColour);
            Bar(1, rows[i].RandomSaeRecovery, ControlColour);
            Bar(2, rows[i].LabelAccuracy, LabelColour);
            Bar(3, rows[i].RandomLabelAccuracy, ControlColour);
        }
        labels.Draw(r, i => left + (i + 0.5f) * slot, top + plotH + 2, axis);
        note?.Draw(r, pad, top + plotH + 2 + labels.Height + 8, axis);
        r.SavePng(path);
    }
}
