namespace MMInterp.Kernels.Interp.DataStudy;

/// <summary>A headline figure of the study, the controls measured beside it in the same run, and what it means.</summary>
public sealed record FigureWithControls(string Figure, IReadOnlyList<string> Controls, string Meaning);

/// <summary>
/// The figure names of <see cref="ClipDataStudy"/>, the single source for the silo's records, the CLI's table and the
/// report. Figures that need labels are absent on an unlabelled dataset; a figure that could not be measured is NaN.
/// </summary>
public static class ClipDataStudyFigures
{
    public const string ImagesStudied = "images_studied";
    public const string ImagesHeldOut = "images_held_out";
    public const string ImagesSkipped = "images_skipped";
    public const string LiveFeatures = "live_features";
    public const string LabelledFeatures = "labelled_features";
    public const string MeanImageDensity = "mean_image_density";

    public const string ConceptRecovery = "concept_recovery";
    public const string ConceptRecoveryRandomSae = "concept_recovery_random_sae";
    public const string MeanBestAuroc = "mean_best_auroc";
    public const string MeanBestAurocRandomSae = "mean_best_auroc_random_sae";
    public const string DetectingFeatures = "detecting_features";

    public const string FreeLabelAccuracy = "free_label_accuracy";
    public const string FreeLabelAccuracyRandom = "free_label_accuracy_random_directions";
    public const string FreeLabelChance = "free_label_chance";
    public const string FreeLabelAccuracyConceptDirections = "free_label_accuracy_concept_directions";
    public const string DetectorConceptCosine = "detector_concept_cosine";
    public const string FreeLabelScore = "free_label_score";
    public const string FreeLabelScoreRandom = "free_label_score_random_directions";
    public const string TopImageAgreement = "free_label_top_image_agreement";
    public const string TopImageAgreementShuffled = "free_label_top_image_agreement_shuffled";

    public const string SteerableShare = "steerable_share";
    public const string SteerableShareRandom = "steerable_share_random";
    public const string SteeringFlipRate = "steering_flip_rate";
    public const string SteeringFlipRateRandom = "steering_flip_rate_random";
    public const string SteeringDeltaProb = "steering_delta_prob";
    public const string SteeringDeltaProbRandom = "steering_delta_prob_random";
    public const string SteeringTestedFeatures = "steering_tested_features";
    public const string ZeroShotAccuracy = "zero_shot_accuracy";
    public const string ZeroShotAccuracySaeInserted = "zero_shot_accuracy_sae_inserted";
    public const string ZeroShotAgreementSaeInserted = "zero_shot_agreement_sae_inserted";

    public const string TypographicCleanAccuracy = "typographic_clean_accuracy";
    public const string TypographicAttackedAccuracy = "typographic_attacked_accuracy";
    public const string TypographicAttackDrop = "typographic_attack_drop";
    public const string TypographicTrueWordAccuracy = "typographic_true_word_accuracy";
    public const string TypographicReadingDrop = "typographic_reading_drop";
    public const string TypographicFollowsWord = "typographic_follows_word";
    public const string TypographicSuppressedAccuracy = "typographic_suppressed_accuracy";
    public const string TypographicSuppressedAccuracyRandom = "typographic_suppressed_accuracy_random";
    public const string TypographicRecovered = "typographic_recovered";
    public const string TypographicRecoveredRandom = "typographic_recovered_random";
    public const string TypographicCleanCost = "typographic_clean_cost";
    public const string TypographicCleanCostRandom = "typographic_clean_cost_random";

    /// <summary>Headline figures beside their controls, in report order.</summary>
    public static IReadOnlyList<FigureWithControls> Headlines { get; } =
    [
        new(LiveFeatures, [ImagesStudied, ImagesSkipped, MeanImageDensity], "features that fire on some study image; images studied and skipped (undecodable)"),
        new(ConceptRecovery, [ConceptRecoveryRandomSae], "share of the dataset's labels detected by some feature with AUROC >= threshold; control: an untrained SAE of the same shape"),
        new(MeanBestAuroc, [MeanBestAurocRandomSae], "mean over labels of the best feature's AUROC; control: the untrained SAE"),
        new(FreeLabelAccuracy, [FreeLabelAccuracyRandom, FreeLabelChance, FreeLabelAccuracyConceptDirections, DetectorConceptCosine],
            "share of label-detecting features whose free label names that label; controls: random directions, chance, and the labels' own mean-difference directions (the labeller's positive control)"),
        new(FreeLabelScore, [FreeLabelScoreRandom], "mean calibrated score (z against random pushes) of the features' best free labels; control: random directions labelled the same way"),
        new(TopImageAgreement, [TopImageAgreementShuffled], "share of features whose free label is the zero-shot class most of their top images get; control: labels paired with another feature's top images"),
        new(SteerableShare, [SteerableShareRandom], "share of clamped features that move zero-shot predictions to their label; control: random directions of equal norm toward the same labels"),
        new(SteeringFlipRate, [SteeringFlipRateRandom], "mean share of predictions flipped to the feature's label; control: random directions of equal norm"),
        new(SteeringDeltaProb, [SteeringDeltaProbRandom], "mean rise of the label's zero-shot probability; control: random directions of equal norm"),
        new(ZeroShotAccuracy, [ZeroShotAccuracySaeInserted, ZeroShotAgreementSaeInserted], "zero-shot accuracy on held-out images; control: the SAE's reconstruction inserted, nothing clamped (and the share of predictions it leaves unchanged)"),
        new(TypographicAttackDrop, [TypographicCleanAccuracy, TypographicAttackedAccuracy, TypographicTrueWordAccuracy, TypographicReadingDrop, TypographicFollowsWord],
            "accuracy lost when a wrong word is drawn on the image; control: the true word drawn at the same place (ink without a lie)"),
        new(TypographicRecovered, [TypographicRecoveredRandom, TypographicSuppressedAccuracy, TypographicSuppressedAccuracyRandom],
            "share of the lost accuracy regained by suppressing the word-reading features; control: as many random live features suppressed"),
        new(TypographicCleanCost, [TypographicCleanCostRandom], "accuracy lost on clean images by the same suppression; control: random features"),
    ];
}
