using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using MMInterp.Kernels.Images;
using MMInterp.Kernels.Interp.DataStudy;
using MMInterp.Kernels.Text;

namespace MMInterp.Kernels.Analyses;

/// <summary>
/// The CLIP SAE study on a registered dataset (issue 15): <see cref="ClipDataStudy"/> on the dictionary's model and hook,
/// the dataset's images preprocessed as the model's checkpoint says, and the vocabulary the client resolved. Options
/// JSON: <c>dataset</c> (registered dataset id), <c>vocabulary</c> ({name, concepts, templates}) and any numeric option
/// of <see cref="ClipDataStudyOptions.Table"/> by its name (that table is the single source of those names).
/// </summary>
public sealed class ClipDataStudyAnalysis : IAnalysis
{
    public const string Kind = "clip-study-data";

    /// <summary>Option keys that are not numeric study options.</summary>
    public const string DatasetKey = "dataset", VocabularyKey = "vocabulary";

    /// <summary>Skipped images named in the results (all are counted).</summary>
    const int NamedSkips = 100;

    string IAnalysis.Kind => Kind;
    public string Description => "CLIP SAE study on a registered dataset: labels, label recovery, steering, typographic attack";

    public AnalysisOptionSet OptionSet { get; } = AnalysisOptionSet.Of(Kind,
    [
        new(DatasetKey, [], typeof(string), null, "registered dataset id"),
        new(VocabularyKey, [], typeof(JsonObject), null, "{name, concepts, templates}: what free labels (and steering on unlabelled data) draw from"),
        .. ClipDataStudyOptions.Table.Select(o => new AnalysisOption(o.Name, [], o.Integer ? typeof(int) : typeof(double), o.Get(ClipDataStudyOptions.Default), o.Description)),
    ]);

    /// <summary>The data study's headlines with their controls, as <see cref="ClipDataStudyFigures"/> declares them.</summary>
    public IReadOnlyList<FigureSpec> Figures { get; } = ClipDataStudyFigures.Headlines.Select(h => new FigureSpec(h.Figure, h.Meaning, h.Controls)).ToList();

    public async Task<AnalysisResult> RunAsync(IAnalysisInputs inputs, Action<double, string> progress, CancellationToken ct)
    {
        var (datasetId, vocabulary, options) = ReadOptions(inputs.OptionsJson);
        var dictionary = await inputs.DictionaryAsync(null, ct);
        using var sae = dictionary.Sae;
        // This study counts every token; an SAE trained on some of them would be read where it was never trained.
        if (dictionary.Tokens != Extraction.TokenSelection.All)
            throw new ArgumentException($"dictionary '{dictionary.Id}' was trained on {Extraction.TokenSelections.Name(dictionary.Tokens)} tokens; the study of your own images counts every token (train on all tokens)");
        var clip = await inputs.ClipAsync(ct);
        using var model = clip.Model;
        var tokenizer = clip.Tokenizer ?? throw new ArgumentException($"model '{inputs.ModelId}' was registered without tokenizer files");
        model.eval();
        var preprocessor = ClipImageProcessor.ForCheckpoint(clip.Directory, model.Config.Vision.ImageSize);
        var dataset = await inputs.DatasetAsync(datasetId, ct);
        var study = ClipDataStudy.Run(new ClipDataStudyInputs(model, tokenizer, sae, dictionary.HookPoint, dataset, preprocessor, vocabulary,
            inputs.WorkDirectory), options, (at, note) => progress(0.95 * at, note), ct);
        progress(0.95, "recording");
        return Record(study, datasetId);
    }

    static AnalysisResult Record(ClipDataStudyResult study, string datasetId)
    {
        var result = new AnalysisResult();
        foreach (var (name, value) in study.Figures.OrderBy(f => f.Key, StringComparer.Ordinal)) result.Figure(name, value);
        foreach (var (name, path) in study.Pictures) result.Picture(path, name);
        var notes = new JsonObject { ["hook"] = study.Hook, ["dataset"] = datasetId, ["vocabulary"] = study.Vocabulary };
        foreach (var (key, note) in study.Notes) notes[key] = note;
        foreach (var h in study.Headlines) result.Controls.Add(new FigureControls(h.Figure, h.Controls.Select(c => c.Name).ToList(), h.Meaning));
        result.Details["notes"] = notes;
        result.Details["skipped"] = new JsonArray(study.Skipped.Take(NamedSkips).Select(s => (JsonNode)new JsonObject { ["key"] = s.Key, ["problem"] = s.Problem }).ToArray());
        var recorded = new JsonObject();
        foreach (var (name, value) in study.Options.Values()) recorded[name] = value;
        result.Details["options"] = recorded;

        var layer = ClipStudyAnalysis.LayerOf(study.Hook);
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
                if (f.BestAuroc >= threshold && double.IsFinite(f.BestAuroc)) result.Labels.Add(new FeatureLabel(f.Index, $"label={label}", f.BestAuroc, FeatureLabel.GroundTruth));
            }
            if (f.FreeLabels.Count > 0)
            {
                o["free_labels"] = new JsonArray(f.FreeLabels.Select(s => (JsonNode)new JsonObject { ["label"] = s.Label, ["score"] = ResultJson.Number(s.Score) }).ToArray());
                foreach (var s in f.FreeLabels.Where(s => double.IsFinite(s.Score)).DistinctBy(s => s.Label))
                    result.Labels.Add(new FeatureLabel(f.Index, s.Label, s.Score, FeatureLabel.FreeLabel));
            }
            if (f.Steering is { } trial)
            {
                o["steering"] = new JsonObject
                {
                    ["target"] = trial.Target, ["delta_prob"] = ResultJson.Number(trial.Delta), ["flip_share"] = ResultJson.Number(trial.FlipShare), ["steerable"] = trial.Steerable,
                };
                if (trial.Steerable && double.IsFinite(trial.Delta)) result.Labels.Add(new FeatureLabel(f.Index, trial.Target, trial.Delta, FeatureLabel.Steering));
            }
            result.Features.Add(new FeatureRecord(f.Index, o, f.Pictures.ToDictionary(p => p.Key, p => File.ReadAllBytes(p.Value))));
        }
        return result;
    }

    /// <summary>The dataset id, the vocabulary and the study options of an options JSON; a missing or bad entry is one
    /// clear error naming it.</summary>
    public static (string Dataset, Vocabulary Vocabulary, ClipDataStudyOptions Options) ReadOptions(string json)
    {
        var root = JsonNode.Parse(json) as JsonObject ?? throw new ArgumentException("analysis options must be a JSON object");
        var dataset = root[DatasetKey] is JsonValue d && d.TryGetValue<string>(out var id) && !string.IsNullOrWhiteSpace(id)
            ? id : throw new ArgumentException($"{Kind} needs option '{DatasetKey}': a registered dataset id (mminterp datasets add SPEC)");
        if (root[VocabularyKey] is not JsonObject v) throw new ArgumentException($"{Kind} needs option '{VocabularyKey}': {{name, concepts, templates}}");
        var vocabulary = new Vocabulary(
            v["name"]?.GetValue<string>() ?? "vocabulary",
            v["concepts"]?.AsArray().Select(c => c?.GetValue<string>() ?? "").ToList() ?? throw new ArgumentException("vocabulary has no concepts"),
            v["templates"] is JsonArray t ? t.Select(x => x?.GetValue<string>() ?? "").ToList() : null);
        var values = new List<KeyValuePair<string, double>>();
        foreach (var (key, value) in root)
        {
            if (key is DatasetKey or VocabularyKey) continue;
            if (value is not JsonValue n || n.GetValueKind() != JsonValueKind.Number) throw new ArgumentException($"option {key} must be a number, got {value?.ToJsonString() ?? "null"}");
            values.Add(new(key, n.GetValue<double>()));
        }
        return (dataset, vocabulary, ClipDataStudyOptions.FromValues(values));
    }

    /// <summary>The options JSON for a study of <paramref name="datasetId"/> with <paramref name="vocabulary"/>.</summary>
    public static string OptionsJson(string datasetId, Vocabulary vocabulary, IEnumerable<KeyValuePair<string, double>> options)
    {
        var root = new JsonObject
        {
            [DatasetKey] = datasetId,
            [VocabularyKey] = new JsonObject
            {
                ["name"] = vocabulary.Name,
                ["concepts"] = new JsonArray(vocabulary.Concepts.Select(c => (JsonNode)JsonValue.Create(c)).ToArray()),
                ["templates"] = new JsonArray(vocabulary.Templates.Select(c => (JsonNode)JsonValue.Create(c)).ToArray()),
            },
        };
        foreach (var (name, value) in options) root[ClipDataStudyOptions.Find(name).Name] = value;
        return root.ToJsonString();
    }
}
