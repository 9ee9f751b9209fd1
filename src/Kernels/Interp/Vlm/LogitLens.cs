using MMInterp.Kernels.Hooks;
using MMInterp.Kernels.Models.Vlm;
using MMInterp.Kernels.ShapesWorld;
using TorchSharp;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Interp.Vlm;

/// <summary>Per LM layer: how often the asked-about object's colour / shape word is among the top-k lens tokens on
/// its own patches, against the same on patches without it (the control), and the answer's mean rank at the answer position.</summary>
public sealed record LogitLensRow(string Layer, double ObjectColourTopK, double OtherColourTopK, double ObjectShapeTopK, double OtherShapeTopK,
    double AnswerRank, double AnswerTop1, string CommonObjectWord);

/// <summary>Logit-lens result: one row per state (embed, block 0..L-1) and, for the first prompt, the top-1 word of
/// every image token at every layer (for the figure).</summary>
public sealed record LogitLensResult(int TopK, IReadOnlyList<LogitLensRow> Rows, string[][] FirstPromptTop1, bool[] FirstPromptObject, string FirstPromptQuestion);

/// <summary>Decodes each layer's residual states through the LM's final LayerNorm and unembedding (nostalgebraist's
/// logit lens), here on the visual tokens.</summary>
public static class LogitLens
{
    /// <summary>Lens logits for every state: [embed, block 0 .. L-1], each [N, T, V]. The last equals the model's logits.</summary>
    public static List<Tensor> Decode(IShapesVlm model, Tensor imageTokens, Tensor ids)
    {
        using var cache = new ActivationCache();
        var names = Enumerable.Range(-1, model.LmLayers + 1).Select(l => VlmInterventions.HookName("resid", l)).ToList();
        using (model.Hooks.Scope())
        {
            foreach (var name in names) model.Hooks.Add(name, Hook.Cache(cache));
            model.LmLogits(imageTokens, ids).Dispose();
        }
        return names.Select(name => model.Unembed(cache[name])).ToList();
    }

    public static LogitLensResult Run(IShapesVlm model, VlmVocabulary vocabulary, VlmPrompts prompts, int topK = 5)
    {
        if (topK < 1 || topK > vocabulary.Count) throw new ArgumentException($"topK must be in [1, {vocabulary.Count}], got {topK}", nameof(topK));
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        model.SetTraining(false);
        var (n, p, start) = (prompts.Count, model.ImageTokenCount, model.ImageStart);
        var lens = Decode(model, model.ImageTokens(prompts.Images), prompts.Ids);
        var objects = prompts.ObjectPatches.cpu().data<bool>().ToArray();
        var answerPositions = model.AnswerPositions(prompts.Lengths).cpu().data<long>().ToArray();
        var answers = prompts.Answers.cpu().data<long>().ToArray();
        var colourIds = new long[n];
        var shapeIds = new long[n];
        for (var i = 0; i < n; i++)
        {
            var o = prompts.Scenes[i].Objects[prompts.Questions[i].ObjectIndex];
            colourIds[i] = vocabulary.Id(o.Word(ObjectAttribute.Colour));
            shapeIds[i] = vocabulary.Id(o.Word(ObjectAttribute.Shape));
        }
        var rows = new List<LogitLensRow>();
        var firstTop1 = new string[lens.Count][];
        for (var r = 0; r < lens.Count; r++)
        {
            var logits = lens[r];

            var top = logits.narrow(1, start, p).topk(topK, dim: -1).indexes.cpu().data<long>().ToArray(); // [N, P, k]
            double objColour = 0, otherColour = 0, objShape = 0, otherShape = 0;
            int objCount = 0, otherCount = 0;
            var objectWords = new Dictionary<long, int>();
            for (var i = 0; i < n; i++)
            for (var j = 0; j < p; j++)
            {
                var slice = new ArraySegment<long>(top, (i * p + j) * topK, topK);
                var hasColour = slice.Contains(colourIds[i]) ? 1 : 0;
                var hasShape = slice.Contains(shapeIds[i]) ? 1 : 0;
                if (objects[i * p + j])
                {
                    objColour += hasColour; objShape += hasShape; objCount++;
                    objectWords[slice[0]] = objectWords.GetValueOrDefault(slice[0]) + 1;
                }
                else { otherColour += hasColour; otherShape += hasShape; otherCount++; }
            }
            firstTop1[r] = Enumerable.Range(0, p).Select(j => vocabulary.Token((int)top[j * topK])).ToArray();
            var atAnswer = logits[arange(n, device: logits.device), tensor(answerPositions, device: logits.device)]; // [N, V]
            var answerLogit = atAnswer.gather(1, tensor(answers, device: logits.device).view(-1, 1));
            var ranks = atAnswer.gt(answerLogit).sum(1).cpu().data<long>().ToArray();
            var common = objectWords.Count == 0 ? "" : vocabulary.Token((int)objectWords.MaxBy(w => w.Value).Key);
            rows.Add(new LogitLensRow(r == 0 ? "embed" : $"block {r - 1}",
                objColour / Math.Max(1, objCount), otherColour / Math.Max(1, otherCount),
                objShape / Math.Max(1, objCount), otherShape / Math.Max(1, otherCount),
                ranks.Average(), ranks.Count(x => x == 0) / (double)n, common));

        }
        return new LogitLensResult(topK, rows, firstTop1, Enumerable.Range(0, p).Select(j => objects[j]).ToArray(), prompts.Questions[0].Question);
    }
}
