using MMInterp.Kernels.Interp.Features;
using MMInterp.Kernels.ShapesWorld;

namespace MMInterp.Kernels.Interp.Steering;

/// <summary>What the calibration split says about each feature: how strongly it fires (the clamp strength) and which
/// attribute value it detects (its target when naming by detection).</summary>
public static class SteeringCalibration
{
    /// <summary>Per feature, the <paramref name="quantile"/> of its per-image maxima over the images where it fires
    /// (0 for a feature that never fires). A high quantile of the feature's own distribution rather than the largest
    /// value seen: one outlier image no longer sets a clamp that pushes every direction off the manifold.</summary>
    /// <param name="perImageMax">[images, features], row-major</param>
    public static float[] Strength(float[] perImageMax, int images, int features, double quantile)
    {
        if (!(quantile > 0 && quantile <= 1)) throw new ArgumentException($"quantile must be in (0, 1], got {quantile}", nameof(quantile));
        if (perImageMax.Length != images * features) throw new ArgumentException($"{perImageMax.Length} values for {images} x {features}", nameof(perImageMax));
        var strength = new float[features];
        var column = new List<float>(images);
        for (var f = 0; f < features; f++)
        {
            column.Clear();
            for (var i = 0; i < images; i++)
                if (perImageMax[i * features + f] > 0) column.Add(perImageMax[i * features + f]);
            if (column.Count == 0) continue;
            column.Sort();
            strength[f] = column[Math.Min(column.Count - 1, (int)Math.Ceiling(quantile * column.Count) - 1)];
        }
        return strength;
    }

    /// <summary>For each of <paramref name="features"/>, the value (over <paramref name="truth"/>'s attributes) that its
    /// per-image maximum detects best (AUROC, ties to the first), with that AUROC.</summary>
    /// <param name="truth">per attribute, each image's true value (single-object scenes)</param>
    public static Dictionary<int, (SteeringTarget Target, double Auroc)> DetectedTargets(float[] perImageMax, int images, int features,
        IReadOnlyDictionary<ObjectAttribute, int[]> truth, IReadOnlyList<int> tested)
    {
        var values = truth.SelectMany(kv => Enumerable.Range(0, AttributeWords.Count(kv.Key)).Select(v => new SteeringTarget(kv.Key, v))).ToList();
        var labels = new bool[images, values.Count];
        for (var c = 0; c < values.Count; c++)
        {
            var t = truth[values[c].Attribute];
            if (t.Length != images) throw new ArgumentException($"truth of {values[c].Attribute} covers {t.Length} images, not {images}", nameof(truth));
            for (var i = 0; i < images; i++) labels[i, c] = t[i] == values[c].Value;
        }
        var scores = new float[images, tested.Count];
        for (var i = 0; i < images; i++)
            for (var j = 0; j < tested.Count; j++) scores[i, j] = perImageMax[i * features + tested[j]];
        var auroc = Auroc.Matrix(scores, labels);
        var result = new Dictionary<int, (SteeringTarget, double)>();
        for (var j = 0; j < tested.Count; j++)
        {
            var best = -1;
            for (var c = 0; c < values.Count; c++)
                if (!double.IsNaN(auroc[j, c]) && (best < 0 || auroc[j, c] > auroc[j, best])) best = c;
            if (best >= 0) result[tested[j]] = (values[best], auroc[j, best]);
        }
        return result;
    }
}
