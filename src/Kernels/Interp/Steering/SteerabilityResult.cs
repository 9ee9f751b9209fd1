using MMInterp.Kernels.ShapesWorld;

namespace MMInterp.Kernels.Interp.Steering;

/// <summary>An attribute value a feature is steered toward ("red" of colour).</summary>
public sealed record SteeringTarget(ObjectAttribute Attribute, int Value)
{
    public string Label => AttributeWords.Words(Attribute)[Value];
}

/// <summary>One steering trial: a feature clamped (or, in the control, a random direction of the same norm).</summary>
/// <param name="Feature">the clamped feature; in the control, the feature whose clamp norm the random direction copies</param>
/// <param name="ClampValue">the latent value written in</param>
/// <param name="Target">the value steered toward</param>
/// <param name="Images">measured images whose true value differs from the target</param>
/// <param name="ProbBefore">mean target probability on those images without steering</param>
/// <param name="ProbAfter">the same with steering</param>
/// <param name="FlipShare">share of them not predicted as the target without steering that are with it (0 when none is left to flip)</param>
/// <param name="MeanBefore">mean probability of every value of the target's attribute over all measured images, without steering</param>
/// <param name="MeanAfter">the same with steering</param>
public sealed record FeatureSteering(int Feature, double ClampValue, SteeringTarget Target, int Images, double ProbBefore, double ProbAfter,
    double FlipShare, bool Steerable, IReadOnlyList<double> MeanBefore, IReadOnlyList<double> MeanAfter)
{
    public double Delta => ProbAfter - ProbBefore;
}

/// <summary>Zero-shot accuracy on the evaluation images: the bare model, the SAE spliced in with its error term
/// (equal to the bare model up to float) and the reconstruction alone ("SAE inserted, nothing clamped").</summary>
public sealed record SpliceControl(ObjectAttribute Attribute, double Unhooked, double WithError, double ReconstructionOnly);

public sealed record SteerabilityResult(
    SteerabilityConfig Config,
    string Hook,
    int DSae,
    int LiveFeatures,
    IReadOnlyList<FeatureSteering> Features,
    IReadOnlyList<FeatureSteering> RandomControl,
    IReadOnlyList<SpliceControl> Inserted)
{
    /// <summary>Per tested feature, the calibration AUROC of the value it was named by (naming by detection only).</summary>
    public IReadOnlyDictionary<int, double>? DetectionAuroc { get; init; }

    /// <summary>Share of tested features that pass (the figure steerable_share).</summary>
    public double SteerableShare => Share(Features);

    /// <summary>Share of random directions of equal norm that pass.</summary>
    public double RandomShare => Share(RandomControl);

    /// <summary>SteerableShare / RandomShare, with the random share floored at half a pass (0.5 / trials) so that a
    /// control with no pass gives a finite, conservative ratio.</summary>
    public double ShareRatio => RandomControl.Count == 0 ? double.NaN
        : SteerableShare / Math.Max(RandomShare, 0.5 / RandomControl.Count);

    /// <summary>95% interval of <see cref="ShareRatio"/> (Katz's log method for a ratio of two binomial shares, half a
    /// pass added to an empty count): with a few dozen trials a side the ratio is a ratio of small counts, and a bar on
    /// it can only be judged with its interval.</summary>
    public (double Low, double High) ShareRatioInterval
    {
        get
        {
            if (Features.Count == 0 || RandomControl.Count == 0) return (double.NaN, double.NaN);
            double x1 = Math.Max(Features.Count(t => t.Steerable), 0.5), n1 = Features.Count;
            double x2 = Math.Max(RandomControl.Count(t => t.Steerable), 0.5), n2 = RandomControl.Count;
            var log = Math.Log(x1 / n1 / (x2 / n2));
            var se = Math.Sqrt(Math.Max(0, 1 / x1 - 1 / n1 + 1 / x2 - 1 / n2));
            return (Math.Exp(log - 1.96 * se), Math.Exp(log + 1.96 * se));
        }
    }

    /// <summary>Share of tested features that pass with a target of <paramref name="attribute"/> (the shares over all
    /// attributes add up to <see cref="SteerableShare"/>); a binary family such as size is flipped by random directions
    /// far more often than colour, so compare each with <see cref="RandomShareFor"/>.</summary>
    public double SteerableShareFor(ObjectAttribute attribute) => Share(Features, attribute);

    public double RandomShareFor(ObjectAttribute attribute) => Share(RandomControl, attribute);

    static double Share(IReadOnlyList<FeatureSteering> trials, ObjectAttribute? attribute = null) => trials.Count == 0 ? 0
        : (double)trials.Count(t => t.Steerable && (attribute is null || t.Target.Attribute == attribute)) / trials.Count;
}
