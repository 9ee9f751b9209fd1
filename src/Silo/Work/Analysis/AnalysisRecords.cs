using System.Text.Json.Nodes;
using MMInterp.Grains.Contracts.Experiments;
using MMInterp.Grains.Registry;
using MMInterp.Kernels.Analyses;
using MMInterp.Kernels.Artefacts;

namespace MMInterp.Silo.Work.Analysis;

/// <summary>
/// Turns any analysis' result into what the Experiment grain records: pictures and files go to the artefact store, the
/// results object holds figures, their controls, the pictures' and files' sha256s (<c>images</c>, <c>files</c>; the web
/// UI shows images inline) and the analysis' details; feature records become feature statistics (their pictures under
/// <c>images</c>) and labels.
/// </summary>
public static class AnalysisRecords
{
    /// <summary>Keys of the results object the runner owns; an analysis' details may not use them.</summary>
    static readonly string[] Reserved = ["figures", "controls", "images", "files"];

    public static async Task<AnalysisOutcome> StoreAsync(ArtefactStore store, AnalysisResult result, CancellationToken ct)
    {
        var images = new JsonObject();
        foreach (var (name, png) in result.Pictures) images[name] = await PngAsync(store, png, ct);
        var results = new JsonObject { ["figures"] = result.Figures.DeepClone() };
        if (result.Controls.Count > 0)
            results["controls"] = new JsonArray(result.Controls.Select(c => (JsonNode)new JsonObject
            {
                ["figure"] = c.Figure,
                ["controls"] = new JsonArray(c.Controls.Select(x => (JsonNode)JsonValue.Create(x)).ToArray()),
                ["meaning"] = c.Meaning,
            }).ToArray());
        results["images"] = images;
        if (result.Files.Count > 0)
        {
            var files = new JsonObject();
            foreach (var (name, path) in result.Files)
                files[name] = Directory.Exists(path)
                    ? (await store.PutDirectoryAsync(path, ct)).Sha256
                    : (await store.PutFileAsync(path, ArtefactKind.FromFileName(path), ct)).Sha256;
            results["files"] = files;
        }
        foreach (var (key, value) in result.Details)
        {
            if (Reserved.Contains(key)) throw new InvalidOperationException($"an analysis detail may not be called '{key}'");
            results[key] = value?.DeepClone();
        }

        var stats = new List<FeatureStats>(result.Features.Count);
        foreach (var f in result.Features)
        {
            var o = (JsonObject)f.Stats.DeepClone();
            if (f.Pictures.Count > 0)
            {
                var pictures = new JsonObject();
                foreach (var (name, png) in f.Pictures) pictures[name] = await PngAsync(store, png, ct);
                o["images"] = pictures;
            }
            stats.Add(new FeatureStats(f.Index, o.ToJsonString()));
        }
        var labels = result.Labels.Select(l => new NewLabel(l.Feature, l.Label, l.Score, Method(l.Method))).ToList();
        return new AnalysisOutcome(results.ToJsonString(), stats, labels);
    }

    static async Task<string> PngAsync(ArtefactStore store, byte[] png, CancellationToken ct) => (await store.PutAsync(png, ArtefactKind.Png, ct)).Sha256;

    static LabelMethod Method(string method) => method switch
    {
        FeatureLabel.FreeLabel => LabelMethod.FreeLabel,
        FeatureLabel.Steering => LabelMethod.Steering,
        FeatureLabel.GroundTruth => LabelMethod.GroundTruth,
        _ => throw new ArgumentException($"unknown label method '{method}'"),
    };
}
