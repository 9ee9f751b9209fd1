using MMInterp.Kernels.ShapesWorld;

namespace MMInterp.Kernels.Interp.Features;

/// <summary>SAE feature activations on a set of images (ShapesWorld scenes or a user's dataset) at one hook. Per image
/// only the maximum over tokens (patches and class token) is kept: per-token activations for every feature would be
/// images*tokens*m floats, so heatmaps recompute the few images they show (<see cref="FeatureActivations.TokenActivations"/>).</summary>
public sealed class FeatureActivationSet
{
    public required string Hook { get; init; }
    /// <summary>The generator of the scenes; null for a user's dataset.</summary>
    public ShapesWorldGenerator? World { get; init; }
    /// <summary>The ShapesWorld scenes, one per image; empty for a user's dataset.</summary>
    public IReadOnlyList<Scene> Scenes { get; init; } = [];
    /// <summary>[images, features]: max over the image's tokens of the feature's activation.</summary>
    public required float[,] MaxPerImage { get; init; }
    /// <summary>Per feature: share of tokens (all images) where it is nonzero.</summary>
    public required double[] TokenDensity { get; init; }
    /// <summary>Per feature: mean of its nonzero token activations (0 when it never fires).</summary>
    public required double[] MeanNonzero { get; init; }
    /// <summary>Tokens per image that count (the selected ones: patches + class token by default).</summary>
    public required int TokensPerImage { get; init; }

    public int Images => MaxPerImage.GetLength(0);
    public int Features => MaxPerImage.GetLength(1);

    /// <summary>One feature's per-image maxima.</summary>
    public float[] ImageActivations(int feature)
    {
        CheckFeature(feature);
        var column = new float[Images];
        for (var i = 0; i < Images; i++) column[i] = MaxPerImage[i, feature];
        return column;
    }

    /// <summary>Indices of the k images where the feature is strongest (only images where it fires).</summary>
    public int[] TopImages(int feature, int k)
    {
        var column = ImageActivations(feature);
        return Enumerable.Range(0, Images).Where(i => column[i] > 0).OrderByDescending(i => column[i]).ThenBy(i => i).Take(k).ToArray();
    }

    /// <summary>Share of images where the feature fires at all.</summary>
    public double ImageDensity(int feature) => ImageActivations(feature).Count(v => v > 0) / (double)Images;

    /// <summary>Features that fire on at least one image.</summary>
    public int LiveFeatures()
    {
        var live = 0;
        for (var f = 0; f < Features; f++)
            for (var i = 0; i < Images; i++)
                if (MaxPerImage[i, f] > 0) { live++; break; }
        return live;
    }

    public void CheckFeature(int feature)
    {
        if (feature < 0 || feature >= Features) throw new ArgumentException($"feature {feature} out of range: the SAE has {Features} features", nameof(feature));
    }
}
