using MMInterp.Client.Platform;

namespace MMInterp.Client.Reports;

/// <summary>Any experiment in an HTML report, whatever its kind: the figure groups (headline beside its controls, as
/// <see cref="FigureLayout"/> arranges them everywhere) with their pictures, all other figures, the other pictures
/// (already copied next to the report).</summary>
public static class ExperimentSection
{
    public static HtmlReport Add(HtmlReport html, ExperimentRunner.Finished done, string outDir) =>
        ReportFigures.Add(html.Heading($"{done.Experiment.Kind}: experiment {done.Experiment.Id}"), done.Layout, done.ImageFiles, outDir);
}
