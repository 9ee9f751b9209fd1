using MMInterp.Kernels.ShapesWorld;

namespace MMInterp.Kernels.Interp.Steering;

/// <summary>How a tested feature's target value is named.</summary>
public enum TargetNaming
{
    /// <summary>The attribute value the feature detects best on the calibration split (AUROC of its per-image
    /// maximum): steering must move the output toward what the feature reads, which a random direction of equal
    /// norm does only by chance.</summary>
    Detection,
    /// <summary>The value whose zero-shot probability rises most on the first half of the evaluation images (any
    /// change counts: a strong push in any direction moves some value, so random directions pass nearly as often).</summary>
    Steering,
}

/// <summary>The steerability test. A feature is clamped, on every token, to <see cref="ClampMultiple"/> times the
/// <see cref="ClampQuantile"/> of its per-image maxima on a calibration split; its target is named as
/// <see cref="Naming"/> says (by default the value it detects there); it is steerable when, over evaluation images
/// whose true value differs from the target, the target's mean probability rises by more than
/// <see cref="DeltaThreshold"/> and the prediction flips to the target on at least <see cref="FlipThreshold"/> of those
/// not already predicted as the target. The control runs the same test, toward the same targets, on random unit
/// directions given, token by token, the norm of a tested feature's clamp.</summary>
public sealed record SteerabilityConfig
{
    /// <summary>Split (single-object ShapesWorld seed) on which each feature's largest latent is measured.</summary>
    public long CalibrationSeed { get; init; } = 2_000_003;
    public int CalibrationImages { get; init; } = 256;
    /// <summary>Held-out split: naming by steering names the target on its first half and measures on the second;
    /// detected or given targets are measured on all of it.</summary>
    public long EvalSeed { get; init; } = 2_000_004;
    public int EvalImages { get; init; } = 64;
    /// <summary>Attribute families a target may come from (the best-moving value over all of them wins).</summary>
    public IReadOnlyList<ObjectAttribute> Attributes { get; init; } = Enum.GetValues<ObjectAttribute>();
    /// <summary>Clamp value = this times the feature's <see cref="ClampQuantile"/> activation on the calibration split.</summary>
    public double ClampMultiple { get; init; } = 2.0;
    /// <summary>Quantile of the feature's per-image maxima (over calibration images where it fires) that sets its
    /// strength; 1 is the largest value seen.</summary>
    public double ClampQuantile { get; init; } = 0.99;
    public TargetNaming Naming { get; init; } = TargetNaming.Detection;
    /// <summary>Naming by detection tests only features whose detected value reaches this AUROC (0.5: any): a feature
    /// that detects nothing has no value to be steered toward.</summary>
    public double MinDetectionAuroc { get; init; } = 0.8;
    public ClampScope Scope { get; init; } = ClampScope.AllTokens;
    /// <summary>Which tokens a clamp may set (and whose latents calibrate its strength and name its target): all, the
    /// patches or the class token. <see cref="Scope"/> then narrows within them.</summary>
    public Extraction.TokenSelection Tokens { get; init; } = Extraction.TokenSelection.All;
    /// <summary>Minimum rise of the target's mean probability (absolute, 0-1).</summary>
    public double DeltaThreshold { get; init; } = 0.2;
    /// <summary>Minimum share of images (true value and unsteered prediction both not the target) whose prediction becomes the target.</summary>
    public double FlipThreshold { get; init; } = 0.5;
    /// <summary>Features tested: all live ones (0) or this many drawn at random from them.</summary>
    public int MaxFeatures { get; init; } = 0;
    /// <summary>Random-direction trials: <see cref="RandomPerFeature"/> per tested feature (0) or this many.</summary>
    public int RandomDirections { get; init; } = 0;
    /// <summary>Random directions per tested feature when <see cref="RandomDirections"/> is 0. The control passes on
    /// about 1 in 10 trials, so with one trial per feature its count (2-7 of 48, measured) made the share ratio range
    /// 1.4-5.3x across seeds by counting noise alone; four per feature halve that noise.</summary>
    public int RandomPerFeature { get; init; } = 4;
    /// <summary>Features steered in one forward pass (the batch repeats the evaluation images this many times).</summary>
    public int FeaturesPerBatch { get; init; } = 4;
    public int BatchSize { get; init; } = 256;
    /// <summary>Seed of the feature sample and the random directions.</summary>
    public long Seed { get; init; } = 0;

    public static SteerabilityConfig Default { get; } = new();

    /// <summary>Throws an ArgumentException naming the first bad field.</summary>
    public SteerabilityConfig Validate()
    {
        static void Check(bool ok, string field, object value, string rule)
        {
            if (!ok) throw new ArgumentException($"{field} {rule}, got {value}", field);
        }
        Check(CalibrationImages >= 1, nameof(CalibrationImages), CalibrationImages, "must be at least 1");
        Check(EvalImages >= 4, nameof(EvalImages), EvalImages, "must be at least 4 (half names the target, half measures it)");
        Check(EvalSeed != CalibrationSeed, nameof(EvalSeed), EvalSeed, "must differ from CalibrationSeed (held-out split)");
        Check(Attributes is { Count: > 0 }, nameof(Attributes), Attributes?.Count ?? 0, "must name at least one attribute");
        Check(Attributes!.All(Enum.IsDefined), nameof(Attributes), string.Join(",", Attributes!), "must hold only defined attributes");
        Check(ClampMultiple > 0 && double.IsFinite(ClampMultiple), nameof(ClampMultiple), ClampMultiple, "must be a positive finite number");
        Check(RandomPerFeature >= 1, nameof(RandomPerFeature), RandomPerFeature, "must be at least 1");
        Check(ClampQuantile > 0 && ClampQuantile <= 1, nameof(ClampQuantile), ClampQuantile, "must be in (0, 1]");
        Check(Enum.IsDefined(Naming), nameof(Naming), Naming, "must be Detection or Steering");
        Check(MinDetectionAuroc >= 0.5 && MinDetectionAuroc < 1, nameof(MinDetectionAuroc), MinDetectionAuroc, "must be in [0.5, 1)");
        Check(Enum.IsDefined(Scope), nameof(Scope), Scope, "must be AllTokens or ActiveTokens");
        Check(Enum.IsDefined(Tokens), nameof(Tokens), Tokens, $"must be one of {string.Join(", ", Extraction.TokenSelections.Names)}");
        Check(DeltaThreshold > 0 && DeltaThreshold < 1, nameof(DeltaThreshold), DeltaThreshold, "must be in (0, 1)");
        Check(FlipThreshold >= 0 && FlipThreshold <= 1, nameof(FlipThreshold), FlipThreshold, "must be in [0, 1]");
        Check(MaxFeatures >= 0, nameof(MaxFeatures), MaxFeatures, "must be non-negative (0 = every live feature)");
        Check(RandomDirections >= 0, nameof(RandomDirections), RandomDirections, "must be non-negative (0 = RandomPerFeature per tested feature)");
        Check(FeaturesPerBatch >= 1, nameof(FeaturesPerBatch), FeaturesPerBatch, "must be at least 1");
        Check(BatchSize >= 1, nameof(BatchSize), BatchSize, "must be at least 1");
        return this;
    }
}
