namespace MMInterp.Kernels.Interp.Features;

/// <summary>One feature's row of a study (what the registry's features.stats holds).</summary>
/// <param name="Density">share of tokens where it fires</param>
/// <param name="ImageDensity">share of images where it fires on some token</param>
/// <param name="MeanActivation">mean of its nonzero token activations</param>
/// <param name="MaxActivation">largest activation seen on a study image</param>
public sealed record FeatureReport(
    int Index,
    double Density,
    double ImageDensity,
    double MeanActivation,
    double MaxActivation,
    string? BestConcept,
    double BestAuroc,
    IReadOnlyList<LabelScore> Labels);

/// <summary>Everything a study of one SAE at one hook measured.</summary>
/// <param name="RandomSae">concept recovery of a freshly initialised SAE of the same shape (null without controls)</param>
/// <param name="RandomDirectionLabels">free-label accuracy with the detecting features' directions replaced by random ones (null without controls)</param>
/// <param name="DirectProjectionLabels">free-label accuracy of the direct projection (null where it does not apply: not a residual hook)</param>
public sealed record FeatureStudyResult(
    string Hook,
    FeatureActivationSet Activations,
    ConceptRecoveryResult Recovery,
    IReadOnlyList<FreeLabel> Labels,
    FreeLabelAccuracyResult LabelAccuracy,
    IReadOnlyList<FeatureReport> Features,
    int LiveFeatures,
    ConceptRecoveryResult? RandomSae,
    FreeLabelAccuracyResult? RandomDirectionLabels,
    FreeLabelAccuracyResult? DirectProjectionLabels)
{
    /// <summary>Positive control of the labeller: the concepts' mean-difference directions at the hook, labelled the same
    /// way (null without controls).</summary>
    public ConceptDirections.Result? ConceptDirectionLabels { get; init; }

    /// <summary>Mean cosine between each scored detecting feature's decoder direction and its concept's direction (NaN
    /// without controls or detectors).</summary>
    public double DetectorConceptCosine { get; init; } = double.NaN;

    /// <summary>Headline figures by name (DESIGN §7: concept_recovery, free_label_accuracy), per concept group, and the
    /// controls measured in the same run.</summary>
    public IReadOnlyDictionary<string, double> Figures
    {
        get
        {
            var figures = new Dictionary<string, double>
            {
                ["concept_recovery"] = Recovery.Recovery,
                ["free_label_accuracy"] = LabelAccuracy.Accuracy,
                ["free_label_chance"] = LabelAccuracy.Chance,
                ["detecting_features"] = LabelAccuracy.Detecting,
                ["live_features"] = LiveFeatures,
            };
            foreach (var (group, share) in Recovery.RecoveryByGroup) figures[$"concept_recovery_{group}"] = share;
            foreach (var (group, auroc) in Recovery.MeanBestAurocByGroup) figures[$"mean_best_auroc_{group}"] = auroc;
            foreach (var (group, share) in LabelAccuracy.ByGroup) figures[$"free_label_accuracy_{group}"] = share;
            if (RandomSae is { } r)
            {
                figures["concept_recovery_random_sae"] = r.Recovery;
                foreach (var (group, share) in r.RecoveryByGroup) figures[$"concept_recovery_random_sae_{group}"] = share;
                foreach (var (group, auroc) in r.MeanBestAurocByGroup) figures[$"mean_best_auroc_random_sae_{group}"] = auroc;
            }
            if (RandomDirectionLabels is { } a)
            {
                figures["free_label_accuracy_random_directions"] = a.Accuracy;
                foreach (var (group, share) in a.ByGroup) figures[$"free_label_accuracy_random_directions_{group}"] = share;
            }
            if (DirectProjectionLabels is { } d)
            {
                figures["free_label_accuracy_direct_projection"] = d.Accuracy;
                foreach (var (group, share) in d.ByGroup) figures[$"free_label_accuracy_direct_projection_{group}"] = share;
            }
            if (ConceptDirectionLabels is { } cd)
            {
                figures["free_label_accuracy_concept_directions"] = cd.Accuracy;
                figures["detector_concept_cosine"] = DetectorConceptCosine;
            }
            return figures;
        }
    }
}
