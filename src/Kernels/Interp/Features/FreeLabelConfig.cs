namespace MMInterp.Kernels.Interp.Features;

public enum FreeLabelMethod
{
    /// <summary>Add the direction at the hook on baseline images, run the rest of the model, average the change of the
    /// normalised image embedding (the main method: naming by steering, it goes through every remaining layer).</summary>
    SteeringDelta,
    /// <summary>Diagnostic only: the direction through the final layer norm's linear part and the projection, skipping
    /// the remaining blocks (exact only at the last block's output; a known weak method for mid layers).</summary>
    DirectProjection,
}

/// <summary>How free labels are computed. Validated at the edge; a bad value names its field.</summary>
public sealed record FreeLabelConfig
{
    public FreeLabelMethod Method { get; init; } = FreeLabelMethod.SteeringDelta;
    /// <summary>Baseline images the direction is added to (random 1-2 object scenes, no words).</summary>
    public int BaselineImages { get; init; } = 8;
    public long BaselineSeed { get; init; } = 4_242_001;
    /// <summary>Norm of the added vector as a multiple of the mean token norm at the hook on the baseline images. Every
    /// direction is pushed equally hard, so labels do not depend on decoder row norms.</summary>
    public double Strength { get; init; } = 1.0;
    /// <summary>Random directions (pushed equally hard) that calibrate the scores: a label's score is the z-score of the
    /// direction's cosine against the random directions' cosines with that label (0 or 1: raw cosine). Without it a label
    /// that every push drifts towards wins for most directions (on the tiny CLIP, random directions mostly read "red").</summary>
    public int ReferenceDirections { get; init; } = 64;
    public long ReferenceSeed { get; init; } = 7_777;
    /// <summary>Subtract the vocabulary's mean text embedding before the cosine: the prompts share most of their
    /// embedding ("a photo of a ... object"), and only their differences can name a direction.</summary>
    public bool CentreText { get; init; } = true;
    /// <summary>Labels kept per feature.</summary>
    public int TopK { get; init; } = 3;
    /// <summary>Most images in one forward pass (features are batched, BaselineImages copies each).</summary>
    public int MaxBatchImages { get; init; } = 256;
    /// <summary>The tokens a direction is added to (and whose mean norm sets its strength): all, the patches or the class token.</summary>
    public Extraction.TokenSelection Tokens { get; init; } = Extraction.TokenSelection.All;

    public static FreeLabelConfig Default { get; } = new();

    public FreeLabelConfig Validate()
    {
        if (!Enum.IsDefined(Method)) throw new ArgumentException($"{nameof(Method)}: unknown method {(int)Method}", nameof(Method));
        if (BaselineImages < 1) throw new ArgumentException($"{nameof(BaselineImages)} must be positive, got {BaselineImages}", nameof(BaselineImages));
        if (!(Strength > 0) || double.IsInfinity(Strength)) throw new ArgumentException($"{nameof(Strength)} must be positive and finite, got {Strength}", nameof(Strength));
        if (ReferenceDirections < 0) throw new ArgumentException($"{nameof(ReferenceDirections)} must be >= 0, got {ReferenceDirections}", nameof(ReferenceDirections));
        if (TopK < 1) throw new ArgumentException($"{nameof(TopK)} must be positive, got {TopK}", nameof(TopK));
        if (!Enum.IsDefined(Tokens)) throw new ArgumentException($"{nameof(Tokens)}: unknown token selection {(int)Tokens}; use one of {string.Join(", ", Extraction.TokenSelections.Names)}", nameof(Tokens));
        if (MaxBatchImages < BaselineImages) throw new ArgumentException($"{nameof(MaxBatchImages)} must be at least {nameof(BaselineImages)} ({BaselineImages}), got {MaxBatchImages}", nameof(MaxBatchImages));
        return this;
    }
}

/// <summary>A vocabulary entry, the score it was ranked by (z-score against random directions, or the cosine when
/// uncalibrated) and the cosine between the direction's embedding shift and the label's text embedding.</summary>
public sealed record LabelScore(string Label, double Score, double Cosine);

/// <summary>A feature's free labels, best first.</summary>
public sealed record FreeLabel(int Feature, IReadOnlyList<LabelScore> Top)
{
    public string Best => Top[0].Label;
}
