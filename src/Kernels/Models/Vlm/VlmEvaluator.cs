using MMInterp.Kernels.ShapesWorld;
using TorchSharp;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Models.Vlm;

/// <summary>Held-out answer accuracy: every question of each scene of the evaluation seed, greedy answer = argmax over
/// the whole vocabulary at the last question token, exact match with the true answer token; object questions of
/// two-object scenes are also scored on their own.</summary>
public static class VlmEvaluator
{
    public static VlmMetrics Evaluate(IShapesVlm model, VlmVocabulary vocabulary, long evalSeed, int images, ShapesWorldConfig world, int batchSize = 256)
    {
        if (images < 1) throw new ArgumentException($"images must be positive, got {images}", nameof(images));
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var wasTraining = model.Training;
        model.SetTraining(false);
        var device = model.Device;
        var generator = new ShapesWorldGenerator(world);
        var correct = new Dictionary<string, int>();
        var total = new Dictionary<string, int>();
        var correctTwo = new Dictionary<string, int>();
        var totalTwo = new Dictionary<string, int>();
        for (var start = 0; start < images; start += batchSize)
        {
            using var inner = NewDisposeScope();
            var count = Math.Min(batchSize, images - start);
            using var batch = generator.Batch(evalSeed, start, count, device);
            var imageTokens = model.ImageTokens(batch.Images);
            var items = batch.Scenes.SelectMany((s, i) => Captions.Questions(s).Select(q => (Image: (long)i, Qa: q, Two: s.Objects.Count == 2))).ToList();
            for (var from = 0; from < items.Count; from += batchSize)
            {
                using var chunkScope = NewDisposeScope();
                var chunk = items.Skip(from).Take(batchSize).ToList();
                var (ids, lengths) = vocabulary.EncodeBatch(chunk.Select(c => c.Qa.Question).ToList(), model.MaxQuestionTokens, device);
                var tokens = imageTokens.index_select(0, tensor(chunk.Select(c => c.Image).ToArray(), device: device));
                var predicted = model.AnswerLogitsFromTokens(tokens, ids, lengths).argmax(-1).cpu().data<long>().ToArray();
                for (var j = 0; j < chunk.Count; j++)
                {
                    var type = VlmQuestions.TypeOf(chunk[j].Qa);
                    var right = vocabulary.Token((int)predicted[j]) == chunk[j].Qa.Answer;
                    total[type] = total.GetValueOrDefault(type) + 1;
                    if (right) correct[type] = correct.GetValueOrDefault(type) + 1;
                    if (!chunk[j].Two || chunk[j].Qa.ObjectIndex < 0) continue;
                    totalTwo[type] = totalTwo.GetValueOrDefault(type) + 1;
                    if (right) correctTwo[type] = correctTwo.GetValueOrDefault(type) + 1;
                }
            }
        }
        model.SetTraining(wasTraining);
        var byType = VlmQuestions.Types.Where(total.ContainsKey).ToDictionary(t => t, t => (double)correct.GetValueOrDefault(t) / total[t]);
        return new VlmMetrics(byType, VlmQuestions.Types.Where(total.ContainsKey).ToDictionary(t => t, t => total[t]),
            (double)correct.Values.Sum() / total.Values.Sum(), images,
            VlmQuestions.Types.Where(totalTwo.ContainsKey).ToDictionary(t => t, t => (double)correctTwo.GetValueOrDefault(t) / totalTwo[t]));
    }
}
