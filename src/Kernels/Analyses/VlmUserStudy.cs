using MMInterp.Kernels.Interp.Vlm;

namespace MMInterp.Kernels.Analyses;

/// <summary>
/// The VLM study on a user's data (<see cref="VlmStudyOptions.Data"/>): an HF LLaVA over the stored JSONL's images
/// and questions, scored by each expected answer's first token; tracing localisation scored on the examples with a box
/// or mask (the figures are left out when none has one). The ShapesWorld options (type, prompts, split, only_correct)
/// do not apply: every example is analysed.
/// </summary>
internal static class VlmUserStudy
{
    /// <summary>The stored data folder's examples, then the spec's LLaVA over them (the caller disposes both the subject and the model).</summary>
    public static async Task<(LlavaVlmSubject Subject, IDisposable Model)> LoadAsync(string kind, string data, string dataFile, IAnalysisInputs inputs, CancellationToken ct)
    {
        var folder = Path.GetFullPath(await inputs.ArtefactAsync(data, directory: true, ct));
        var file = Path.GetFullPath(Path.Combine(folder, dataFile));
        if (!file.StartsWith(folder + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            throw new ArgumentException($"{kind}: data_file '{dataFile}' lies outside the stored data folder");
        var items = VlmUserData.Load(file);
        var loaded = await inputs.LlavaAsync(ct);
        try
        {
            return (new LlavaVlmSubject(loaded, items), loaded.Model);
        }
        catch
        {
            loaded.Model.Dispose();
            throw;
        }
    }

    public static async Task<AnalysisResult> RunAsync(VlmStudyOptions o, IAnalysisInputs inputs, Action<double, string> progress, CancellationToken ct)
    {
        var (subject, model) = await LoadAsync(VlmStudyAnalysis.Kind, o.Data!, o.DataFile, inputs, ct);
        using var _model = model;
        using var _subject = subject;
        var items = subject.Items;
        var dir = inputs.WorkDirectory;
        var result = new AnalysisResult();
        result.Details["data_file"] = o.DataFile;
        result.Details["examples"] = subject.Count;
        result.Details["examples_with_object"] = Enumerable.Range(0, subject.Count).Count(i => subject.ObjectPatches(i) is not null);
        result.Details["example"] = $"{items[0].Question} -> {items[0].Answer} (token '{subject.TokenText(subject.Answer(0))}')";
        var stages = (double)o.Parts.Length;
        var stage = 0;
        var textColumns = VlmSubjects.TextColumns(subject);

        if (o.Parts.Contains(VlmStudyOptions.Trace))
        {
            progress(stage++ / stages, "causal tracing");
            ct.ThrowIfCancellationRequested();
            var tracing = CausalTracing.Run(subject, new TracingOptions { Seed = o.Seed, BatchRows = o.TraceBatch });
            result.AddPictures(VlmFigures.WriteTracing(dir, tracing, subject.FigureContext(tracing.QuestionTokens)));
            foreach (var (name, value) in VlmHeadlines.Tracing(tracing)) result.Figure(name, value);
            result.Details["localisation"] = tracing.AnyScored ? "scored on the examples with a box or mask" : "not scored: no example gives a box or mask";
            result.Details["noise"] = new System.Text.Json.Nodes.JsonObject
            {
                ["std"] = ResultJson.Number(tracing.NoiseStd), ["multiple_of_clean_image_token_std"] = tracing.NoiseMultiple,
            };
            result.Details["tracing_maps"] = ResultJson.Node(tracing.Maps.ToDictionary(m => m.Key,
                m => new { rows = m.Value.Rows, by_region = VlmStudyAnalysis.ToJagged(VlmFigures.ByRegion(m.Value, tracing)) }));
        }
        if (o.Parts.Contains(VlmStudyOptions.Knockout))
        {
            progress(stage++ / stages, "attention knockout");
            ct.ThrowIfCancellationRequested();
            var knockout = AttentionKnockout.Run(subject, seed: o.Seed);
            foreach (var (name, value) in VlmHeadlines.Knockout(knockout)) result.Figure(name, value);
            result.Details["knockout"] = ResultJson.Node(knockout.Rows);
        }
        if (o.Parts.Contains(VlmStudyOptions.LogitLens))
        {
            progress(stage++ / stages, "logit lens");
            ct.ThrowIfCancellationRequested();
            var lens = AnswerLens.Run(subject);
            result.Picture(VlmFigures.WriteAnswerLens(dir, lens, subject.FigureContext(textColumns)));
            result.Picture(Path.Combine(dir, "logit_lens_table.png"));
            result.Details["logit_lens"] = ResultJson.Node(lens.Rows);
        }
        return result;
    }
}
