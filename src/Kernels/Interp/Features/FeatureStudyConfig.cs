namespace MMInterp.Kernels.Interp.Features;

/// <summary>What a CLIP feature study measures on. Validated at the edge; a bad value names its field.</summary>
public sealed record FeatureStudyConfig
{
    /// <summary>ShapesWorld seed of the study images (keep it apart from the training seeds).</summary>
    public long Seed { get; init; } = 2_000_003;
    public int Images { get; init; } = 1024;
    public int BatchSize { get; init; } = 64;
    /// <summary>Share of study images with a written word, as in the zoo CLIP's training world, so "has a text overlay"
    /// and each written word are scorable concepts.</summary>
    public double OverlayRate { get; init; } = 0.3;
    /// <summary>Share of those words that name another value than the object's.</summary>
    public double WrongWordRate { get; init; } = 0.5;
    /// <summary>AUROC a feature needs to count as detecting a concept.</summary>
    public double Threshold { get; init; } = 0.9;
    /// <summary>Free-label vocabulary; null: <see cref="ConceptSet.CaptionVocabulary"/> (what the text tower can say).</summary>
    public IReadOnlyList<string>? Vocabulary { get; init; }
    /// <summary>Concept groups free-label accuracy is scored on (detecting features whose concept is in one of them);
    /// null: <see cref="ConceptSet.CaptionGroups"/>. A feature that detects the background cannot be named by text the
    /// model never saw, so counting it would measure the captions, not the labels.</summary>
    public IReadOnlyList<string>? LabelGroups { get; init; }
    public FreeLabelConfig Labels { get; init; } = FreeLabelConfig.Default;
    /// <summary>Also measure the controls: a freshly initialised SAE of the same shape (concept recovery) and random
    /// directions in place of the detecting features' decoder rows (free-label accuracy).</summary>
    public bool Controls { get; init; } = true;
    public long ControlSeed { get; init; } = 99;
    /// <summary>Which tokens count: feature statistics, the untrained SAE's, the concept directions and (through
    /// <see cref="Labels"/>) where free labels push a direction. <see cref="ClipFeatureStudy"/> hands it to the labeller.</summary>
    public Extraction.TokenSelection Tokens { get; init; } = Extraction.TokenSelection.All;

    public static FeatureStudyConfig Default { get; } = new();

    public FeatureStudyConfig Validate()
    {
        if (Images < 16) throw new ArgumentException($"{nameof(Images)} must be at least 16, got {Images}", nameof(Images));
        if (BatchSize < 1) throw new ArgumentException($"{nameof(BatchSize)} must be positive, got {BatchSize}", nameof(BatchSize));
        if (!(OverlayRate >= 0 && OverlayRate <= 1)) throw new ArgumentException($"{nameof(OverlayRate)} must be in [0, 1], got {OverlayRate}", nameof(OverlayRate));
        if (!(WrongWordRate >= 0 && WrongWordRate <= 1)) throw new ArgumentException($"{nameof(WrongWordRate)} must be in [0, 1], got {WrongWordRate}", nameof(WrongWordRate));
        if (!(Threshold > 0.5 && Threshold <= 1)) throw new ArgumentException($"{nameof(Threshold)} must be in (0.5, 1], got {Threshold}", nameof(Threshold));
        if (Vocabulary is { Count: 0 }) throw new ArgumentException($"{nameof(Vocabulary)} is empty (leave it null for the standard concepts)", nameof(Vocabulary));
        if (LabelGroups is { Count: 0 }) throw new ArgumentException($"{nameof(LabelGroups)} is empty (leave it null for the caption groups)", nameof(LabelGroups));
        Labels.Validate();
        return this;
    }
}
