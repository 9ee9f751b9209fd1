namespace MMInterp.Kernels.Interp.Typographic;

public enum TextSuppression
{
    /// <summary>The feature is set to 0.</summary>
    Zero,
    /// <summary>The feature is set to its mean latent over the tokens of the clean calibration images: removes what
    /// the word adds without also removing what the feature carries on images with no word.</summary>
    CleanMean,
}

/// <summary>How the text-reading features are found on the calibration split.</summary>
public enum TextFeatureSelection
{
    /// <summary>The features that best detect the word (image-level AUROC of their largest latent, attacked vs clean).</summary>
    Detection,
    /// <summary>Of the features that fire more on attacked images (AUROC above 0.5), those whose zeroing alone raises the
    /// attacked images' probability of the true value most: the features the wrong answer is read through, not merely
    /// those that see ink.</summary>
    Effect,
}

/// <summary>The typographic-attack defence. Attack images are single-object ShapesWorld scenes with a wrong word
/// naming the object's colour or shape; the clean images are the same scenes without the word. Text-reading
/// features are <see cref="TopK"/> live SAE features chosen on a calibration split (<see cref="Selection"/>: by
/// what zeroing each regains, or by how well it detects the word); they are zeroed at the hook (SAE spliced in with
/// its error term) while held-out attacked images are classified. Control: <see cref="RandomTrials"/> sets of TopK random live
/// features (not among the chosen).</summary>
public sealed record TypographicConfig
{
    /// <summary>What suppressing a text feature writes in its place, on every token.</summary>
    public TextSuppression Suppression { get; init; } = TextSuppression.Zero;
    public TextFeatureSelection Selection { get; init; } = TextFeatureSelection.Effect;
    /// <summary>With <see cref="TextFeatureSelection.Effect"/>: the best word detectors (by AUROC) whose zeroing is tried,
    /// one forward pass over the calibration images each.</summary>
    public int EffectCandidates { get; init; } = 64;
    public long CalibrationSeed { get; init; } = 3_000_001;
    /// <summary>Scenes on which features are ranked (each seen clean and attacked).</summary>
    public int CalibrationImages { get; init; } = 256;
    public long EvalSeed { get; init; } = 3_000_002;
    public int EvalImages { get; init; } = 256;
    /// <summary>Features suppressed.</summary>
    public int TopK { get; init; } = 8;
    public int RandomTrials { get; init; } = 5;
    /// <summary>An accuracy drop under attack below this is not material: the recovered ratio is then not a finding.</summary>
    public double MaterialDrop { get; init; } = 0.05;
    public int BatchSize { get; init; } = 256;
    /// <summary>Which tokens the text features are ranked on and suppressed at: all, the patches or the class token.</summary>
    public Extraction.TokenSelection Tokens { get; init; } = Extraction.TokenSelection.All;
    /// <summary>Seed of the random feature sets.</summary>
    public long Seed { get; init; } = 0;

    public static TypographicConfig Default { get; } = new();

    /// <summary>Throws an ArgumentException naming the first bad field.</summary>
    public TypographicConfig Validate()
    {
        static void Check(bool ok, string field, object value, string rule)
        {
            if (!ok) throw new ArgumentException($"{field} {rule}, got {value}", field);
        }
        Check(CalibrationImages >= 2, nameof(CalibrationImages), CalibrationImages, "must be at least 2");
        Check(EvalImages >= 2, nameof(EvalImages), EvalImages, "must be at least 2");
        Check(EvalSeed != CalibrationSeed, nameof(EvalSeed), EvalSeed, "must differ from CalibrationSeed (held-out split)");
        Check(TopK >= 1, nameof(TopK), TopK, "must be at least 1");
        Check(EffectCandidates >= TopK, nameof(EffectCandidates), EffectCandidates, $"must be at least TopK ({TopK})");
        Check(Enum.IsDefined(Suppression), nameof(Suppression), Suppression, "must be Zero or CleanMean");
        Check(Enum.IsDefined(Selection), nameof(Selection), Selection, "must be Detection or Effect");
        Check(Enum.IsDefined(Tokens), nameof(Tokens), Tokens, $"must be one of {string.Join(", ", Extraction.TokenSelections.Names)}");
        Check(RandomTrials >= 1, nameof(RandomTrials), RandomTrials, "must be at least 1");
        Check(MaterialDrop > 0 && MaterialDrop < 1, nameof(MaterialDrop), MaterialDrop, "must be in (0, 1)");
        Check(BatchSize >= 1, nameof(BatchSize), BatchSize, "must be at least 1");
        return this;
    }
}
