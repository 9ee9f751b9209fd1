using System.Text.Json.Nodes;
using MMInterp.Client.Platform;

namespace MMInterp.Client.Reports;

/// <summary>The CLIP study's part of an HTML report: figures beside their controls, the study's pictures and a few
/// feature dashboards (top examples with patch heatmaps, histograms) copied out of the artefact store.</summary>
public static class StudySection
{
    public static async Task AddAsync(HtmlReport html, PlatformSession session, ExperimentRunner.Finished study, string dictionaryId,
        string outDir, CancellationToken ct)
    {
        double F(string name) => study.Figure(name);
        html.Heading("4. Features against ground truth")
            .Paragraph("Concept recovery: share of ShapesWorld concepts (attribute values, background, word) detected by some feature with AUROC >= 0.9. " +
                       "Free-label accuracy: share of concept-detecting features whose free label names that concept. Controls from the same run.")
            .Figures([
                ("concept_recovery", F("concept_recovery"), $"untrained SAE of the same shape: {ExperimentRunner.Format(F("concept_recovery_random_sae"))}"),
                ("free_label_accuracy", F("free_label_accuracy"),
                    $"random directions: {ExperimentRunner.Format(F("free_label_accuracy_random_directions"))}; direct projection: {ExperimentRunner.Format(F("free_label_accuracy_direct_projection"))}; chance {ExperimentRunner.Format(F("free_label_chance"))}; "
                    + $"the concepts' own directions (labeller's positive control): {ExperimentRunner.Format(F("free_label_accuracy_concept_directions"))}; "
                    + $"mean cosine of a detector's decoder direction with its concept's direction: {ExperimentRunner.Format(F("detector_concept_cosine"))}"),
                ("live_features", F("live_features"), $"{ExperimentRunner.Format(F("detecting_features"))} detect a concept"),
            ]);
        AddImage(html, study, "concept_recovery", "Concept recovery and free-label accuracy with controls");

        html.Heading("5. Steering")
            .Paragraph(study.Results["notes"]?["steering"]?.GetValue<string>() ?? "")
            .Figures([
                ("steerable_share", F("steerable_share"), $"random directions of equal norm: {ExperimentRunner.Format(F("steerable_share_random"))} (ratio {ExperimentRunner.Format(F("steerable_ratio_to_random"))})"),
                ("zero_shot_colour", F("zero_shot_colour"), $"SAE inserted, nothing clamped: {ExperimentRunner.Format(F("zero_shot_colour_sae_inserted"))}"),
                ("zero_shot_shape", F("zero_shot_shape"), $"SAE inserted, nothing clamped: {ExperimentRunner.Format(F("zero_shot_shape_sae_inserted"))}"),
            ]);
        AddImage(html, study, "steering", "Zero-shot probabilities before and after clamping the most effective features");

        html.Heading("6. Typographic attack")
            .Paragraph(study.Results["notes"]?["typographic"]?.GetValue<string>() ?? "")
            .Figures([
                ("typographic_attack_drop", F("typographic_attack_drop"),
                    $"clean {ExperimentRunner.Format(F("typographic_clean_accuracy"))}, attacked {ExperimentRunner.Format(F("typographic_attacked_accuracy"))}"),
                ("typographic_recovered", F("typographic_recovered"), $"random features suppressed: {ExperimentRunner.Format(F("typographic_recovered_random"))}"),
                ("typographic_clean_cost", F("typographic_clean_cost"), $"random features: {ExperimentRunner.Format(F("typographic_clean_cost_random"))}"),
            ]);
        AddImage(html, study, "typographic", "Accuracy clean, attacked, with text features suppressed and with random features suppressed");

        await FeatureDashboards.AddAsync(html, session, dictionaryId, outDir, "7. Feature dashboards", "ground truth (AUROC)",
            _ => true, int.MaxValue, ct);
    }

    static void AddImage(HtmlReport html, ExperimentRunner.Finished study, string name, string caption)
    {
        if (study.ImageFiles.TryGetValue(name, out var path)) html.Image(Path.GetFileName(path), caption);
    }
}
