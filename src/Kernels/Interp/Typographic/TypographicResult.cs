using MMInterp.Kernels.ShapesWorld;

namespace MMInterp.Kernels.Interp.Typographic;

/// <summary>Zero-shot accuracy on one set of attack scenes, each judged on the attribute its word names.</summary>
/// <param name="Attribute">colour or shape; null for all scenes together</param>
/// <param name="Clean">the scenes without the word</param>
/// <param name="Attacked">the same scenes with the wrong word</param>
/// <param name="Suppressed">attacked, chosen features zeroed</param>
/// <param name="RandomSuppressed">attacked, random features zeroed (mean over trials)</param>
/// <param name="CleanSuppressed">clean, chosen features zeroed</param>
/// <param name="CleanRandomSuppressed">clean, random features zeroed (mean over trials)</param>
/// <param name="ReconstructionClean">clean through the SAE's reconstruction alone ("SAE inserted")</param>
/// <param name="ReconstructionAttacked">attacked through the reconstruction alone</param>
/// <param name="FollowsWord">share of attacked scenes predicted as the written (wrong) word</param>
public sealed record TypographicAccuracy(ObjectAttribute? Attribute, int Images, double Clean, double Attacked, double Suppressed,
    double RandomSuppressed, double CleanSuppressed, double CleanRandomSuppressed, double ReconstructionClean, double ReconstructionAttacked,
    double FollowsWord)
{
    /// <summary>Accuracy on the same scenes with a word naming the true value at the same place (the ink control).</summary>
    public double TrueWord { get; init; } = double.NaN;
    /// <summary>Attacked accuracy below the true-word accuracy: the part of the drop that is reading, not ink.</summary>
    public double ReadingDrop => TrueWord - Attacked;

    public double AttackDrop => Clean - Attacked;
    public double Regained => Suppressed - Attacked;
    public double RandomRegained => RandomSuppressed - Attacked;
    public double CleanCost => Clean - CleanSuppressed;
    public double RandomCleanCost => Clean - CleanRandomSuppressed;
    /// <summary>Regained / lost; null when the attack cost nothing.</summary>
    public double? Recovered => AttackDrop > 0 ? Regained / AttackDrop : null;
    public double? RandomRecovered => AttackDrop > 0 ? RandomRegained / AttackDrop : null;
}

/// <param name="ChosenFeatures">the suppressed features, best first (by regained probability, or by AUROC)</param>
/// <param name="ChosenAuroc">their AUROC (attacked vs clean) on the calibration split</param>
/// <param name="Overall">all evaluation scenes</param>
/// <param name="ByAttribute">colour-word and shape-word scenes separately</param>
public sealed record TypographicResult(TypographicConfig Config, string Hook, int LiveFeatures, IReadOnlyList<int> ChosenFeatures,
    IReadOnlyList<double> ChosenAuroc, TypographicAccuracy Overall, IReadOnlyList<TypographicAccuracy> ByAttribute)
{
    /// <summary>The attack lowered accuracy by at least <see cref="TypographicConfig.MaterialDrop"/>.</summary>
    public bool AttackMaterial => Overall.AttackDrop >= Config.MaterialDrop;
    /// <summary>The figure typographic_recovered: accuracy regained by suppression / accuracy lost to the attack;
    /// null when the attack is not material (a ratio over a drop of a scene or two means nothing).</summary>
    public double? Recovered => AttackMaterial ? Overall.Recovered : null;
    /// <summary>The same ratio for random features (the control); null when the attack is not material.</summary>
    public double? RandomRecovered => AttackMaterial ? Overall.RandomRecovered : null;
    public double CleanCost => Overall.CleanCost;
}
