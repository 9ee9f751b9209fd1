using MMInterp.Kernels.Models.Vlm;
using MMInterp.Kernels.ShapesWorld;
using TorchSharp;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Interp.Vlm;

/// <summary>Questions about one object each, with the ground truth the analyses are scored against: which image
/// tokens (patches) hold the asked-about object. All questions of a set have the same token count, so positions line
/// up across prompts. The set owns its tensors.</summary>
public sealed class VlmPrompts : IDisposable
{
    VlmPrompts(IReadOnlyList<Scene> scenes, IReadOnlyList<QuestionAnswer> questions, IReadOnlyList<string> words, Tensor images, Tensor ids, Tensor lengths, Tensor answers, Tensor objectPatches)
    {
        (Scenes, Questions, Words, Images, Ids, Lengths, Answers, ObjectPatches) = (scenes, questions, words, images, ids, lengths, answers, objectPatches);
    }

    public IReadOnlyList<Scene> Scenes { get; }
    public IReadOnlyList<QuestionAnswer> Questions { get; }
    /// <summary>The first question's tokens as the model reads them (the last one is the answer position).</summary>
    public IReadOnlyList<string> Words { get; }
    /// <summary>[N, 3, H, W]</summary>
    public Tensor Images { get; }
    /// <summary>[N, MaxQuestionTokens] right-padded.</summary>
    public Tensor Ids { get; }
    /// <summary>[N] question lengths (all equal).</summary>
    public Tensor Lengths { get; }
    /// <summary>[N] answer token ids.</summary>
    public Tensor Answers { get; }
    /// <summary>[N, P] bool: image token p holds the asked-about object.</summary>
    public Tensor ObjectPatches { get; }
    public int Count => Scenes.Count;
    public int QuestionTokens => (int)Lengths[0].item<long>();

    /// <summary>Scans scenes seed/0.. for questions of <paramref name="type"/> ("colour", "shape", ...) about one object
    /// until <paramref name="count"/> are found (one per scene). With <paramref name="onlyCorrect"/> (as ROME does) only
    /// questions the model answers correctly on the clean image are kept.</summary>
    public static VlmPrompts Build(IShapesVlm model, VlmVocabulary vocabulary, long seed, int count, string type = "colour",
        bool onlyCorrect = true, int minObjectPixels = 2, int maxScenes = 4096)
    {
        if (count < 1) throw new ArgumentException($"count must be positive, got {count}", nameof(count));
        if (!VlmQuestions.Types.Contains(type) || type is "count" or "background" or "word")
            throw new ArgumentException($"type must name an object question (colour, shape, size, position, fill), got '{type}'", nameof(type));
        var world = new ShapesWorldGenerator(new ShapesWorldConfig { ImageSize = model.ImageSize });
        var scenes = new List<Scene>();
        var questions = new List<QuestionAnswer>();
        int? length = null;
        using (var _ = no_grad())
        {
            for (var start = 0; start < maxScenes && scenes.Count < count; start += 64)
            {
                using var scope = NewDisposeScope();
                var candidates = Enumerable.Range(start, 64).Select(i => world.Scene(seed, i))
                    .Select(s => (Scene: s, Qa: Captions.Questions(s).FirstOrDefault(q => VlmQuestions.TypeOf(q) == type)))
                    .Where(p => p.Qa is not null && (length is null || vocabulary.Words(p.Qa.Question).Count() == length)).ToList();
                if (candidates.Count == 0) continue;
                length ??= vocabulary.Words(candidates[0].Qa!.Question).Count();
                candidates = candidates.Where(p => vocabulary.Words(p.Qa!.Question).Count() == length).ToList();
                var keep = Enumerable.Repeat(true, candidates.Count).ToArray();
                if (onlyCorrect)
                {
                    using var batch = world.Batch(candidates.Select(p => p.Scene).ToList(), model.Device);
                    var (ids, lengths) = vocabulary.EncodeBatch(candidates.Select(p => p.Qa!.Question).ToList(), model.MaxQuestionTokens, model.Device);
                    var predicted = model.AnswerLogits(batch.Images, ids, lengths).argmax(-1).cpu().data<long>().ToArray();
                    for (var i = 0; i < candidates.Count; i++) keep[i] = vocabulary.Token((int)predicted[i]) == candidates[i].Qa!.Answer;
                }
                for (var i = 0; i < candidates.Count && scenes.Count < count; i++)
                    if (keep[i]) { scenes.Add(candidates[i].Scene); questions.Add(candidates[i].Qa!); }
            }
        }
        if (scenes.Count < count)
            throw new InvalidOperationException($"only {scenes.Count} of {count} '{type}' questions found{(onlyCorrect ? " that the model answers correctly" : "")} in {maxScenes} scenes of seed {seed}");
        using var all = world.Batch(scenes, model.Device);
        // Every question has the same length: no padding, so the sequence is exactly image tokens + question tokens.
        var (qIds, qLengths) = vocabulary.EncodeBatch(questions.Select(q => q.Question).ToList(), length!.Value, model.Device);
        var objects = PatchMask(all.Mask, questions.Select(q => q.ObjectIndex).ToArray(), model.PatchSize, minObjectPixels);
        var answers = tensor(questions.Select(q => (long)vocabulary.Id(q.Answer)).ToArray(), device: model.Device);
        return new VlmPrompts(scenes, questions, vocabulary.Words(questions[0].Question).ToList(), all.Images.clone(), qIds, qLengths, answers, objects);
    }

    /// <summary>[N, P] bool from a ShapesWorld mask [N, H, W]: patch p holds object k when at least
    /// <paramref name="minPixels"/> of its pixels have mask value k+1.</summary>
    public static Tensor PatchMask(Tensor mask, IReadOnlyList<int> objectIndex, int patchSize, int minPixels)
    {
        if (mask.dim() != 3) throw new ArgumentException($"mask must be [N,H,W], got [{string.Join(",", mask.shape)}]");
        if (objectIndex.Count != mask.shape[0]) throw new ArgumentException($"{objectIndex.Count} object indices for {mask.shape[0]} masks");
        if (objectIndex.Any(k => k < 0)) throw new ArgumentException("every prompt must be about one object (object index >= 0)");
        using var scope = NewDisposeScope();
        var (n, h, w) = (mask.shape[0], mask.shape[1], mask.shape[2]);
        var target = tensor(objectIndex.Select(k => (long)k + 1).ToArray(), device: mask.device).view(n, 1, 1);
        var hit = mask.eq(target).to_type(ScalarType.Float32)
            .view(n, h / patchSize, patchSize, w / patchSize, patchSize).sum([2, 4]).flatten(1);
        using var threshold = ((double)minPixels - 0.5).ToScalar();
        return hit.gt(threshold).MoveToOuterDisposeScope();
    }

    public void Dispose()
    {
        Images.Dispose(); Ids.Dispose(); Lengths.Dispose(); Answers.Dispose(); ObjectPatches.Dispose();
    }
}
