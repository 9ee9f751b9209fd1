using System.Text.Json.Nodes;
using MMInterp.Client.Platform;

namespace MMInterp.Client.Reports;

/// <summary>The CLIP study on a user's dataset in an HTML report: each headline figure beside its controls (grouped as
/// <see cref="FigureLayout"/> groups them everywhere), how to read them, the study's pictures, the images skipped, and a few feature dashboards
/// (top images with patch heatmaps, histograms) copied out of the artefact store.</summary>
public static class DataStudySection
{
    public static async Task AddAsync(HtmlReport html, PlatformSession session, ExperimentRunner.Finished study, string dictionaryId,
        string outDir, CancellationToken ct, int maxDashboards = 8)
    {
        var notes = study.Results["notes"] as JsonObject ?? [];
        string Note(string key) => notes[key]?.GetValue<string>() ?? "";
        html.Heading($"CLIP study of {dictionaryId} on dataset {Note("dataset")}")
            .Paragraph(Note("images"))
            .Paragraph(Note("classes"));
        ReportFigures.Add(html, study.Layout, study.ImageFiles, outDir, name => Captions.FirstOrDefault(c => c.Name == name).Caption);

        if (study.Results["skipped"] is JsonArray { Count: > 0 } skipped)
            html.Paragraph($"Images that could not be decoded ({ExperimentRunner.Format(study.Figure("images_skipped"))} in all; skipped):")
                .Table(["image", "problem"], skipped.Select(s => (IReadOnlyList<string>)[s?["key"]?.GetValue<string>() ?? "", s?["problem"]?.GetValue<string>() ?? ""]));

        await FeatureDashboards.AddAsync(html, session, dictionaryId, outDir, "Feature dashboards", "label detected (AUROC)",
            stats => stats["dataset"] is not null, maxDashboards, ct);
    }

    /// <summary>Each headline (<see cref="FigureLayout"/>'s groups) with its controls as "name value; ..." and what it means.</summary>
    public static IEnumerable<(string Name, double Value, string Note)> Rows(ExperimentRunner.Finished study) =>
        study.Layout.Groups.Select(g =>
            (g.Headline.Name, g.Headline.Number, $"{string.Join("; ", g.Controls.Select(c => $"{c.Name} {c.Text}"))} — {g.Group.Caption}"));

    static readonly (string Name, string Caption)[] Captions =
    [
        ("concept_recovery", "Concept recovery against the dataset's labels and free-label accuracy, with controls"),
        ("free_labels", "Free labels against the zero-shot class of each feature's top images and against the labels, with controls"),
        ("steering", "Steering: clamped features against random directions of equal norm"),
        ("typographic", "Typographic attack: clean, attacked, word-reading features suppressed, random features suppressed"),
        ("attack_examples", "Attacked images: the wrong word as drawn, and the truth"),
    ];
}
