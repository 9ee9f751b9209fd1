using System.Text.Json;
using System.Text.Json.Nodes;
using MMInterp.Grains.Contracts.Experiments;
using MMInterp.Kernels.Artefacts;
using MMInterp.Kernels.Datasets;
using MMInterp.Kernels.Images;
using MMInterp.Kernels.Interp.DataStudy;
using MMInterp.Kernels.Text;

namespace MMInterp.Silo.Work.Analysis;

/// <summary>
/// The CLIP SAE study on a registered dataset (issue 15): <see cref="ClipDataStudy"/> on the dictionary's model and hook,
/// the dataset's images preprocessed as the model's checkpoint says, and the vocabulary the client resolved. Options
/// JSON: <c>dataset</c> (registered dataset id), <c>vocabulary</c> ({name, concepts, templates}) and any numeric option
/// of <see cref="ClipDataStudyOptions.Table"/> by its name. Pictures go to the artefact store.
/// </summary>
public sealed class ClipDataStudyAnalysis(AnalysisInputs inputs, ArtefactStore store, Func<string, CancellationToken, Task<IImageDataset>> openDataset)
{
    public const string Kind = "clip-study-data";

    /// <summary>Option keys that are not numeric study options.</summary>
    public const string DatasetKey = "dataset", VocabularyKey = "vocabulary";

    public async Task<AnalysisOutcome> RunAsync(AnalysisSpec spec, Func<int, int, string, Task> progress, CancellationToken ct)
    {
        const int steps = 100;
        var (datasetId, vocabulary, options) = ReadOptions(spec.OptionsJson);
        var (dictionary, sae) = await inputs.DictionaryAsync(spec, ct);
        using var _sae = sae;
        var (clip, directory) = await inputs.ClipWithDirectoryAsync(spec.ModelId, ct);
        using var model = clip.Model;
        var preprocessor = ClipImageProcessor.ForCheckpoint(directory, model.Config.Vision.ImageSize);
        var dataset = await openDataset(datasetId, ct);
        using var pictures = new AnalysisPictures(store, "mminterp-datastudy-");

        // The kernel reports progress synchronously; the grain hears the latest note at most once a second.
        var last = (Step: -1, Note: "");
        var lastSent = DateTime.MinValue;
        var gate = new object();
        void Report(double at, string note)
        {
            lock (gate) last = ((int)(at * (steps - 5)), note);
        }
        var run = Task.Run(() => ClipDataStudy.Run(new ClipDataStudyInputs(model, clip.Tokenizer!, sae, dictionary.HookPoint, dataset, preprocessor, vocabulary,
            pictures.Directory), options, Report, ct), ct);
        while (!run.IsCompleted)
        {
            await Task.WhenAny(run, Task.Delay(1000, ct));
            (int Step, string Note) now;
            lock (gate) now = last;
            if (now.Step >= 0 && DateTime.UtcNow - lastSent > TimeSpan.FromSeconds(1))
            {
                await progress(now.Step, steps, now.Note);
                lastSent = DateTime.UtcNow;
            }
        }
        var study = await run;

        await progress(steps - 5, steps, "storing pictures");
        foreach (var (name, path) in study.Pictures) await pictures.AddAsync(path, ct, name);
        var featureImages = new Dictionary<int, JsonObject>();
        foreach (var f in study.Features.Where(f => f.Pictures.Count > 0))
        {
            var o = new JsonObject();
            foreach (var (name, path) in f.Pictures) o[name] = await pictures.StoreAsync(path, ct);
            featureImages[f.Index] = o;
        }
        var outcome = ClipDataStudyRecords.Build(study, datasetId, featureImages, pictures.Images);
        await progress(steps, steps, "done");
        return outcome;
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
