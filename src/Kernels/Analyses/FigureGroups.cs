using MMInterp.Kernels.Interp.DataStudy;

namespace MMInterp.Kernels.Analyses;

/// <summary>
/// A headline figure with the controls measured beside it in the same run, as every surface shows it (the CLI after a
/// study, `registry show`, the web experiment page, report.html): under <paramref name="Title"/>, the headline first,
/// its controls beside it, <paramref name="Caption"/> saying how to read them, and the picture that draws them
/// (<paramref name="Picture"/>, a name in the results' images) with the results' <c>notes</c> entry <paramref name="Note"/>.
/// </summary>
public sealed record FigureGroup(string Title, string Headline, IReadOnlyList<string> Controls, string Caption, string? Picture = null, string? Note = null)
{
    /// <summary>The same group as an analysis declares it (what the experiment records as results.controls).</summary>
    public FigureSpec Spec => new(Headline, Caption, Controls);

    /// <summary>The headline, then its controls.</summary>
    public IEnumerable<string> Members => Controls.Prepend(Headline);
}

/// <summary>
/// The one definition of which figures go together, by analysis kind. The CLIP studies' groups are spelled here (the
/// ShapesWorld study's <see cref="ClipStudyAnalysis"/> records its controls from them); every other analysis' groups
/// are its declared <see cref="IAnalysis.Figures"/>. Figures in no group are shown after the groups, under "all figures".
/// </summary>
public static class FigureGroups
{
    /// <summary>The CLIP SAE study on ShapesWorld (kind clip-study), in report order.</summary>
    public static IReadOnlyList<FigureGroup> ClipStudy { get; } =
    [
        new("Concept recovery", "concept_recovery", ["concept_recovery_random_sae"],
            "share of ShapesWorld concepts (attribute values, background, word) detected by some feature with AUROC >= 0.9; control: an untrained SAE of the same shape",
            Picture: "concept_recovery"),
        new("Free-label accuracy", "free_label_accuracy",
            ["free_label_accuracy_random_directions", "free_label_accuracy_direct_projection", "free_label_chance", "free_label_accuracy_concept_directions", "detector_concept_cosine"],
            "share of concept-detecting features whose free label names that concept; controls: random directions, direct projection, chance, "
            + "the concepts' own directions (the labeller's positive control) and the mean cosine of a detector's decoder direction with its concept's direction"),
        new("Live features", "live_features", ["detecting_features"], "features that fire on some held-out image; beside it, how many of them detect a concept"),
        new("Steering", "steerable_share", ["steerable_share_random", "steerable_ratio_to_random", "steerable_ratio_low", "steerable_ratio_high", "steering_tested_features", "steering_random_directions"],
            "share of tested features that steer the zero-shot prediction to the value they detect; control: random directions of equal norm (four per tested feature); the ratio with its 95% interval",
            Picture: "steering", Note: "steering"),
        new("Zero-shot colour", "zero_shot_colour", ["zero_shot_colour_sae_inserted"], "zero-shot colour accuracy; control: the SAE inserted, nothing clamped"),
        new("Zero-shot shape", "zero_shot_shape", ["zero_shot_shape_sae_inserted"], "zero-shot shape accuracy; control: the SAE inserted, nothing clamped"),
        new("Typographic attack", "typographic_attack_drop",
            ["typographic_clean_accuracy", "typographic_attacked_accuracy", "typographic_true_word_accuracy", "typographic_reading_drop", "typographic_follows_word"],
            "accuracy lost when a wrong word is drawn on the image; control: the true word drawn at the same place",
            Picture: "typographic", Note: "typographic"),
        new("Typographic defence", "typographic_recovered", ["typographic_recovered_random", "typographic_attack_drop"],
            "accuracy recovered on attacked images by suppressing the word-reading features; control: as many random features suppressed"),
        new("Cost of the defence", "typographic_clean_cost", ["typographic_clean_cost_random"],
            "accuracy lost on clean images by the same suppression; control: random features suppressed"),
    ];

    /// <summary>The CLIP study on a user's dataset (kind clip-study-data): its headlines, with the pictures that draw them.</summary>
    public static IReadOnlyList<FigureGroup> ClipDataStudy { get; } = ClipDataStudyFigures.Headlines.Select(h => new FigureGroup(
        Title(h.Figure), h.Figure, h.Controls, h.Meaning,
        Picture: h.Figure switch
        {
            ClipDataStudyFigures.ConceptRecovery => "concept_recovery",
            ClipDataStudyFigures.FreeLabelAccuracy => "free_labels",
            ClipDataStudyFigures.SteerableShare => "steering",
            ClipDataStudyFigures.TypographicAttackDrop => "typographic",
            ClipDataStudyFigures.TypographicRecovered => "attack_examples",
            _ => null,
        },
        Note: h.Figure switch
        {
            ClipDataStudyFigures.FreeLabelAccuracy => "free_labels",
            ClipDataStudyFigures.SteerableShare => "steering",
            ClipDataStudyFigures.TypographicAttackDrop => "typographic",
            _ => null,
        })).ToList();

    /// <summary>The groups of an analysis kind, in the order to show them; empty for a kind no analysis has.</summary>
    public static IReadOnlyList<FigureGroup> For(string kind) => kind switch
    {
        ClipStudyAnalysis.Kind => ClipStudy,
        ClipDataStudyAnalysis.Kind => ClipDataStudy,
        _ => AnalysisCatalog.All.FirstOrDefault(a => a.Kind == kind) is { } analysis
            ? analysis.Figures.Select(f => new FigureGroup(Title(f.Name), f.Name, f.Controls, f.Meaning)).ToList()
            : [],
    };

    /// <summary>Names a figure was recorded under before (see <see cref="FigureSpec.Aliases"/>), so older records still fill their group.</summary>
    public static IReadOnlyList<string> OldNames(string name) =>
        AnalysisCatalog.All.SelectMany(a => a.Figures).FirstOrDefault(f => f.Name == name)?.Aliases ?? [];

    /// <summary>"steerable_share" -> "Steerable share".</summary>
    public static string Title(string figure)
    {
        var words = figure.Replace('_', ' ');
        return words.Length == 0 ? words : char.ToUpperInvariant(words[0]) + words[1..];
    }
}
