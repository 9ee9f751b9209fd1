using System.Text.Json.Nodes;
using MMInterp.Client.Platform;

namespace MMInterp.Client.Reports;

/// <summary>The CLIP study's part of an HTML report: figures beside their controls (<see cref="FigureLayout"/>), the study's pictures and a few
/// feature dashboards (top examples with patch heatmaps, histograms) copied out of the artefact store.</summary>
public static class StudySection
{
    public static async Task AddAsync(HtmlReport html, PlatformSession session, ExperimentRunner.Finished study, string dictionaryId,
        string outDir, CancellationToken ct)
    {
        html.Heading("4. Figures beside their controls")
            .Paragraph("Each headline figure of the study beside the controls measured in the same run, with how to read them and the picture "
                       + "that draws them; every other figure follows under \"all figures\".");
        ReportFigures.Add(html, study.Layout, study.ImageFiles, outDir, name => Captions.GetValueOrDefault(name));

        await FeatureDashboards.AddAsync(html, session, dictionaryId, outDir, "5. Feature dashboards", "ground truth (AUROC)",
            _ => true, int.MaxValue, ct);
    }

    static readonly Dictionary<string, string> Captions = new()
    {
        ["concept_recovery"] = "Concept recovery and free-label accuracy with controls",
        ["steering"] = "Zero-shot probabilities before and after clamping the most effective features",
        ["typographic"] = "Accuracy clean, attacked, with text features suppressed and with random features suppressed",
    };
}
