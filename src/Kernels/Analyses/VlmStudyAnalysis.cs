using System.ComponentModel;
using MMInterp.Kernels.Interp.Vlm;
using MMInterp.Kernels.Models.Vlm;
using MMInterp.Kernels.ShapesWorld;

namespace MMInterp.Kernels.Analyses;

/// <summary>The options of <see cref="VlmStudyAnalysis"/>.</summary>
public sealed record VlmStudyOptions
{
    [Description("question type: colour, shape, size, position or fill")] public string Type { get; init; } = "colour";
    [Description("held-out questions analysed")] public int Prompts { get; init; } = 16;
    [Description("ShapesWorld split the questions come from")] public string Split { get; init; } = "val";
    [Description("noise / control seed")] public long Seed { get; init; }
    [Description("only questions the model answers right (as ROME does)")] public bool OnlyCorrect { get; init; } = true;
    [Description("parts run: trace, knockout, logit_lens (default: all)")] public string[] Parts { get; init; } = [Trace, Knockout, LogitLens];

    [Description("user data instead of ShapesWorld (needs an HF LLaVA): the stored folder's artefact sha256; the CLI's --data FILE.jsonl sets it")]
    public string? Data { get; init; }
    [Description("the JSONL's path inside the stored data folder")] public string DataFile { get; init; } = "data.jsonl";
    [Description("most sequences per tracing forward (0: all positions x noise samples at once)")] public int TraceBatch { get; init; }

    public const string Trace = "trace", Knockout = "knockout", LogitLens = "logit_lens";
    /// <summary>The options the CLI fills from --data, not bound as flags of their own.</summary>
    public static readonly string[] DataOptions = ["data", "data_file"];
}

/// <summary>
/// The VLM study (issue 7): causal tracing (residual, attention, MLP, windows), attention knockout and the logit lens
/// on visual tokens, over held-out questions of one type, each headline beside its control. `vlm trace|knockout|
/// logit-lens` run one part each; `analyze vlm` runs all.
/// </summary>
public sealed class VlmStudyAnalysis() : Analysis<VlmStudyOptions>(Kind)
{
    public const string Kind = "vlm-study";

    public override string Description => "VLM study: causal tracing, attention knockout, logit lens on visual tokens";

    public override IReadOnlyList<FigureSpec> Figures { get; } =
    [
        Figure("tracing_object_share", "share of the restored effect carried by the asked-about object's tokens", "tracing_object_share_random_control"),
        Figure("tracing_restore_object_prob", "p(answer) when the object's tokens are restored at the LM input", "tracing_restore_random_prob", "corrupted_prob", "clean_prob"),
        Figure("knockout_object_drop", "drop of p(answer) when the answer position cannot attend to the object's tokens", "knockout_random_drop", "knockout_image_drop"),
        Figure("knockout_clean_accuracy", "accuracy without knockout"),
    ];

    protected override async Task<AnalysisResult> RunAsync(VlmStudyOptions o, IAnalysisInputs inputs, Action<double, string> progress, CancellationToken ct)
    {
        var unknown = o.Parts.Except([VlmStudyOptions.Trace, VlmStudyOptions.Knockout, VlmStudyOptions.LogitLens]).ToList();
        if (o.Parts.Length == 0 || unknown.Count > 0)
            throw new ArgumentException($"{Kind}: option 'parts' must list some of trace, knockout, logit_lens, got [{string.Join(", ", o.Parts)}]");
        if (o.Data is not null) return (await VlmUserStudy.RunAsync(o, inputs, progress, ct)).ControlsOf(Figures);
        var splitSeed = ShapesSplits.Seed(o.Split); // an unknown split fails here, before the model loads
        var loaded = await inputs.VlmAsync(ct);
        using var model = loaded.Model;
        using var prompts = Prompts(model, loaded.Vocabulary, splitSeed, o);
        var world = new ShapesWorldGenerator(new ShapesWorldConfig { ImageSize = model.ImageSize });
        var dir = inputs.WorkDirectory;
        var result = new AnalysisResult();
        result.Details["question_type"] = o.Type;
        result.Details["prompts"] = prompts.Count;
        result.Details["example"] = $"{prompts.Questions[0].Question} -> {prompts.Questions[0].Answer}";
        var stages = (double)o.Parts.Length;
        var stage = 0;

        if (o.Parts.Contains(VlmStudyOptions.Trace))
        {
            progress(stage++ / stages, "causal tracing");
            ct.ThrowIfCancellationRequested();
            var tracing = CausalTracing.Run(model, prompts, new TracingOptions { Seed = o.Seed, BatchRows = o.TraceBatch });
            result.AddPictures(VlmFigures.WriteTracing(dir, tracing, prompts, world));
            foreach (var (name, value) in VlmHeadlines.Tracing(tracing)) result.Figure(name, value);
            result.Details["noise"] = new System.Text.Json.Nodes.JsonObject
            {
                ["std"] = ResultJson.Number(tracing.NoiseStd), ["multiple_of_clean_image_token_std"] = tracing.NoiseMultiple,
            };
            result.Details["tracing_maps"] = ResultJson.Node(tracing.Maps.ToDictionary(m => m.Key,
                m => new { rows = m.Value.Rows, by_region = ToJagged(VlmFigures.ByRegion(m.Value, tracing)) }));
        }
        if (o.Parts.Contains(VlmStudyOptions.Knockout))
        {
            progress(stage++ / stages, "attention knockout");
            ct.ThrowIfCancellationRequested();
            var knockout = AttentionKnockout.Run(model, prompts, seed: o.Seed);
            foreach (var (name, value) in VlmHeadlines.Knockout(knockout)) result.Figure(name, value);
            result.Details["knockout"] = ResultJson.Node(knockout.Rows);
        }
        if (o.Parts.Contains(VlmStudyOptions.LogitLens))
        {
            progress(stage++ / stages, "logit lens");
            ct.ThrowIfCancellationRequested();
            var lens = LogitLens.Run(model, loaded.Vocabulary, prompts);
            result.Picture(VlmFigures.WriteLogitLens(dir, lens, prompts, world));
            result.Picture(Path.Combine(dir, "logit_lens_table.png"));
            result.Details["logit_lens"] = ResultJson.Node(lens.Rows);
        }
        return result.ControlsOf(Figures);
    }

    /// <summary>Too few questions the model answers right is a property of the model, not a passing fault: the
    /// experiment fails with the reason instead of being retried.</summary>
    static VlmPrompts Prompts(IShapesVlm model, VlmVocabulary vocabulary, long seed, VlmStudyOptions o)
    {
        try
        {
            return VlmPrompts.Build(model, vocabulary, seed, o.Prompts, o.Type, o.OnlyCorrect);
        }
        catch (InvalidOperationException e)
        {
            throw new ArgumentException($"{e.Message}; ask for fewer prompts or set only_correct to false", e);
        }
    }

    internal static double[][] ToJagged(double[,] m) =>
        Enumerable.Range(0, m.GetLength(0)).Select(r => Enumerable.Range(0, m.GetLength(1)).Select(c => m[r, c]).ToArray()).ToArray();
}
