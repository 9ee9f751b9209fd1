using System.Text.Json.Nodes;
using MMInterp.Grains.Contracts.Experiments;
using MMInterp.Grains.Registry;
using MMInterp.Kernels.Interp.DataStudy;

namespace MMInterp.Silo.Work.Analysis;

/// <summary>
/// Turns a study on a user's dataset into registry rows: results (figures beside their controls, notes, pictures, the
/// skipped images), one stats object per feature in the web UI's contract, and labels by method (free-label, steering,
/// ground-truth where the dataset has labels).
/// </summary>
public static class ClipDataStudyRecords
{
    /// <summary>Skipped images named in the results (all are counted).</summary>
    const int NamedSkips = 100;

    public static AnalysisOutcome Build(ClipDataStudyResult study, string datasetId, IReadOnlyDictionary<int, JsonObject> featureImages, JsonObject images)
    {
        var figures = new JsonObject();
        foreach (var (name, value) in study.Figures.OrderBy(f => f.Key, StringComparer.Ordinal)) figures[name] = ResultJson.Number(value);
        var notes = new JsonObject { ["hook"] = study.Hook, ["dataset"] = datasetId, ["vocabulary"] = study.Vocabulary };
        foreach (var (key, note) in study.Notes) notes[key] = note;
        var controls = new JsonArray(study.Headlines.Select(h => (JsonNode)new JsonObject
        {
            ["figure"] = h.Figure,
            ["controls"] = new JsonArray(h.Controls.Select(c => (JsonNode)JsonValue.Create(c.Name)).ToArray()),
            ["meaning"] = h.Meaning,
        }).ToArray());
        var skipped = new JsonArray(study.Skipped.Take(NamedSkips).Select(s => (JsonNode)new JsonObject { ["key"] = s.Key, ["problem"] = s.Problem }).ToArray());
        var options = new JsonObject();
        foreach (var (name, value) in study.Options.Values()) options[name] = value;
        var results = new JsonObject
        {
            ["figures"] = figures, ["controls"] = controls, ["notes"] = notes, ["images"] = images, ["skipped"] = skipped, ["options"] = options,
        };

        var layer = ClipStudyRecords.LayerOf(study.Hook);
        var stats = new List<FeatureStats>(study.Features.Count);
        var labels = new List<NewLabel>();
        var threshold = study.Options.Threshold;
        foreach (var f in study.Features)
        {
            var o = new JsonObject
            {
                ["hook"] = study.Hook,
                ["dataset"] = datasetId,
                ["density"] = ResultJson.Number(f.Density),
                ["image_density"] = ResultJson.Number(f.ImageDensity),
                ["mean_activation"] = ResultJson.Number(f.MeanActivation),
                ["max_activation"] = ResultJson.Number(f.MaxActivation),
                ["text_reading"] = f.TextReading,
            };
            if (layer is { } l) o["layer"] = l;
            if (f.BestLabel is { } label)
            {
                o["ground_truth"] = new JsonObject { ["concept"] = $"label={label}", ["auroc"] = ResultJson.Number(f.BestAuroc) };
                if (f.BestAuroc >= threshold && double.IsFinite(f.BestAuroc)) labels.Add(new NewLabel(f.Index, $"label={label}", f.BestAuroc, LabelMethod.GroundTruth));
            }
            if (f.FreeLabels.Count > 0)
            {
                o["free_labels"] = new JsonArray(f.FreeLabels.Select(s => (JsonNode)new JsonObject { ["label"] = s.Label, ["score"] = ResultJson.Number(s.Score) }).ToArray());
                foreach (var s in f.FreeLabels.Where(s => double.IsFinite(s.Score)).DistinctBy(s => s.Label))
                    labels.Add(new NewLabel(f.Index, s.Label, s.Score, LabelMethod.FreeLabel));
            }
            if (f.Steering is { } trial)
            {
                o["steering"] = new JsonObject
                {
                    ["target"] = trial.Target, ["delta_prob"] = ResultJson.Number(trial.Delta), ["flip_share"] = ResultJson.Number(trial.FlipShare), ["steerable"] = trial.Steerable,
                };
                if (trial.Steerable && double.IsFinite(trial.Delta)) labels.Add(new NewLabel(f.Index, trial.Target, trial.Delta, LabelMethod.Steering));
            }
            if (featureImages.TryGetValue(f.Index, out var pictures)) o["images"] = pictures.DeepClone();
            stats.Add(new FeatureStats(f.Index, o.ToJsonString()));
        }
        return new AnalysisOutcome(results.ToJsonString(), stats, labels);
    }
}
