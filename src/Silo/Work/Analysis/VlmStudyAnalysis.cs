using System.Text.Json.Nodes;
using MMInterp.Grains.Contracts.Experiments;
using MMInterp.Kernels.Artefacts;
using MMInterp.Kernels.Interp.Vlm;
using MMInterp.Kernels.Models.Vlm;
using MMInterp.Kernels.ShapesWorld;

namespace MMInterp.Silo.Work.Analysis;

/// <summary>
/// The VLM study (issue 7): causal tracing (residual, attention, MLP, windows), attention knockout and the logit lens
/// on visual tokens, over held-out questions of one type, each headline beside its control. Options: type (colour),
/// prompts (16), split (val), seed (0), only_correct (true: questions the model answers right, as ROME does).
/// </summary>
public sealed class VlmStudyAnalysis(AnalysisInputs inputs, ArtefactStore store)
{
    public const string Kind = "vlm-study";

    public async Task<AnalysisOutcome> RunAsync(AnalysisSpec spec, Func<int, int, string, Task> progress, CancellationToken ct)
    {
        const int stages = 4;
        var type = spec.Option("type", "colour");
        var count = spec.Option("prompts", 16);
        var split = spec.Option("split", "val");
        var seed = spec.Option("seed", 0L);
        var splitSeed = ShapesSplits.Seed(split); // an unknown split fails here, before the model loads
        var loaded = await inputs.VlmAsync(spec.ModelId, ct);
        using var model = loaded.Model;
        using var prompts = await Task.Run(() => Prompts(model, loaded.Vocabulary, splitSeed, count, type, spec.Option("only_correct", true)), ct);
        using var pictures = new AnalysisPictures(store, "mminterp-vlm-study-");
        var world = new ShapesWorldGenerator(new ShapesWorldConfig { ImageSize = model.Config.Vision.ImageSize });

        await progress(0, stages, "causal tracing");
        var tracing = await Task.Run(() => CausalTracing.Run(model, prompts, new TracingOptions { Seed = seed }), ct);
        await pictures.AddAllAsync(VlmFigures.WriteTracing(pictures.Directory, tracing, prompts, world), ct);

        await progress(1, stages, "attention knockout");
        var knockout = await Task.Run(() => AttentionKnockout.Run(model, prompts, seed: seed), ct);

        await progress(2, stages, "logit lens");
        var lens = await Task.Run(() => LogitLens.Run(model, loaded.Vocabulary, prompts), ct);
        await pictures.AddAsync(VlmFigures.WriteLogitLens(pictures.Directory, lens, prompts, world), ct);
        await pictures.AddAsync(Path.Combine(pictures.Directory, "logit_lens_table.png"), ct);

        await progress(3, stages, "recording");
        var figures = new JsonObject();
        foreach (var (name, value) in VlmHeadlines.Tracing(tracing).Concat(VlmHeadlines.Knockout(knockout))) figures[name] = ResultJson.Number(value);
        var results = new JsonObject
        {
            ["figures"] = figures,
            ["images"] = pictures.Images.DeepClone(),
            ["question_type"] = type,
            ["prompts"] = prompts.Count,
            ["example"] = $"{prompts.Questions[0].Question} -> {prompts.Questions[0].Answer}",
            ["noise"] = new JsonObject { ["std"] = ResultJson.Number(tracing.NoiseStd), ["multiple_of_clean_image_token_std"] = tracing.NoiseMultiple },
            ["knockout"] = ResultJson.Node(knockout.Rows),
            ["logit_lens"] = ResultJson.Node(lens.Rows),
        };
        await progress(stages, stages, "done");
        return AnalysisOutcome.ResultsOnly(results.ToJsonString());
    }

    /// <summary>Too few questions the model answers right is a property of the model, not a passing fault: the
    /// experiment fails with the reason instead of being retried.</summary>
    static VlmPrompts Prompts(VlmModel model, VlmVocabulary vocabulary, long seed, int count, string type, bool onlyCorrect)
    {
        try
        {
            return VlmPrompts.Build(model, vocabulary, seed, count, type, onlyCorrect);
        }
        catch (InvalidOperationException e)
        {
            throw new ArgumentException($"{e.Message}; ask for fewer prompts or set only_correct to false", e);
        }
    }
}
