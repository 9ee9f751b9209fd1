using MMInterp.Client.Web.Api;
using MMInterp.Grains.Contracts.Experiments;
using MMInterp.Grains.Registry;
using MMInterp.Kernels.Interp.Features;

namespace MMInterp.Client.Web.Features;

/// <summary>
/// What a label's score means, one scale per method (scores are not comparable across methods), and whether a
/// feature's concept is one the free-label vocabulary can name at all.
/// </summary>
public static class LabelScales
{
    /// <summary>The scale of a method's scores, as HTML (it holds entities such as &amp;Delta;).</summary>
    public static string Scale(LabelMethod method) => method switch
    {
        LabelMethod.Manual => ManualLabels.ScoreScale,
        LabelMethod.Steering => "&Delta;p: rise of the zero-shot probability of the target value when the feature is clamped (0-1; only steerable features get one)",
        LabelMethod.FreeLabel => "z-score of the cosine between the feature's push on the image embedding and the label's text, against random directions pushed as hard (0 = what a random direction gets)",
        LabelMethod.GroundTruth => "AUROC of the feature's activation as a detector of the concept (0.5 = chance, 1 = perfect)",
        LabelMethod.AutoInterp => "the explainer's own score",
        _ => "",
    };

    /// <summary>Short unit shown beside a score in tables.</summary>
    public static string Unit(LabelMethod method) => method switch
    {
        LabelMethod.Manual => "confidence",
        LabelMethod.Steering => "&Delta;p",
        LabelMethod.FreeLabel => "z",
        LabelMethod.GroundTruth => "AUROC",
        _ => "score",
    };

    static readonly HashSet<string> Unnameable = ConceptSet.Standard
        .Where(c => !ConceptSet.CaptionGroups.Contains(c.Group)).Select(c => c.Name).ToHashSet(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// True when <paramref name="concept"/> is a ShapesWorld concept outside the free-label vocabulary (the captions the
    /// text tower saw never name the background or the overlay), so a free label for such a feature is a guess from
    /// words that cannot say what it detects.
    /// </summary>
    public static bool OutsideVocabulary(string? concept) => concept is not null && Unnameable.Contains(concept);

    public const string OutsideNote = "outside the free-label vocabulary: the free label cannot name this concept";

    public static string Name(LabelMethod method) => RegistryNames.Name(method);
}
