using MMInterp.Client.Platform;

namespace MMInterp.Client.Reports;

/// <summary>Any experiment in an HTML report, whatever its kind: the headline figures beside their controls (as the
/// experiment recorded them), the other figures, and its pictures (already copied next to the report).</summary>
public static class ExperimentSection
{
    public static HtmlReport Add(HtmlReport html, ExperimentRunner.Finished done, string outDir)
    {
        var headlines = DataStudySection.Rows(done).ToList();
        var rest = done.Figures.Where(f => headlines.All(h => h.Name != f.Name)).Select(f => (f.Name, f.Value, ""));
        html.Heading($"{done.Experiment.Kind}: experiment {done.Experiment.Id}").Figures(headlines.Concat(rest));
        foreach (var (name, path) in done.ImageFiles) html.Image(Path.GetRelativePath(outDir, path), name);
        return html;
    }
}
