using System.Globalization;
using System.Text.Json.Nodes;
using MMInterp.Client.Platform;

namespace MMInterp.Client.Reports;

/// <summary>Per-feature dashboards in a report: a table of each feature's best concept, free label and steering, then
/// its top examples with patch heatmaps and its histogram, copied out of the artefact store next to the report.</summary>
public static class FeatureDashboards
{
    /// <param name="conceptHeader">What the table calls the best concept (ground truth, or a dataset's labels).</param>
    /// <param name="include">Which features' stats qualify (all with top examples are considered).</param>
    public static async Task AddAsync(HtmlReport html, PlatformSession session, string dictionaryId, string outDir, string heading,
        string conceptHeader, Func<JsonObject, bool> include, int maxDashboards, CancellationToken ct)
    {
        var features = await session.Registry.Features.ListAsync(dictionaryId, ct: ct);
        var shown = features.Select(f => (f.Index, Stats: JsonNode.Parse(f.StatsJson) as JsonObject))
            .Where(f => f.Stats?["images"]?["top_examples"] is not null && include(f.Stats)).Take(maxDashboards).ToList();
        if (shown.Count == 0) return;
        html.Heading(heading).Table(["feature", conceptHeader, "free label", "steering"], shown.Select(f => (IReadOnlyList<string>)
        [
            f.Index.ToString(CultureInfo.InvariantCulture),
            f.Stats!["ground_truth"] is { } gt ? $"{gt["concept"]} ({gt["auroc"]?.GetValue<double>().ToString("F2", CultureInfo.InvariantCulture)})" : "",
            f.Stats["free_labels"]?[0]?["label"]?.GetValue<string>() ?? "",
            f.Stats["steering"] is { } st ? $"{st["target"]}{(st["steerable"]?.GetValue<bool>() == true ? " (steerable)" : "")}" : "",
        ]));
        var dir = Path.Combine(outDir, "features");
        Directory.CreateDirectory(dir);
        foreach (var (index, stats) in shown)
            foreach (var picture in new[] { "top_examples", "histogram" })
            {
                if (stats!["images"]?[picture]?.GetValue<string>() is not { } sha) continue;
                var name = $"feature_{index}_{picture}.png";
                await File.WriteAllBytesAsync(Path.Combine(dir, name), await session.Artefacts.ReadAllBytesAsync(sha, ct), ct);
                html.Image($"features/{name}", $"feature {index}: {picture.Replace('_', ' ')}");
            }
    }
}
