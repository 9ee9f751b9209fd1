using MMInterp.Kernels.Hooks;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Interp.Vlm;

/// <summary>
/// Prompts in a VLM as the analyses (causal tracing, knockout, logit lens) see them, whatever the model: each prompt
/// is a sequence holding <see cref="ImageTokens"/> contiguous image tokens (the projected patch features, what tracing
/// corrupts) at <see cref="ImageStart"/>, scored by its next-token logits at <see cref="AnswerPosition"/>. The
/// decoder's hooks are named as the zoo VLM's (lm.blocks.{i}.hook_resid_pre/post, attn.hook_z, attn.hook_pattern,
/// mlp.hook_post). Served by the zoo VLM over ShapesWorld (<see cref="ZooVlmSubject"/>) and by an HF LLaVA over a
/// user's JSONL (<see cref="LlavaVlmSubject"/>).
/// </summary>
public interface IVlmSubject
{
    HookRegistry Hooks { get; }
    int Layers { get; }
    Device Device { get; }
    int Count { get; }
    /// <summary>Image tokens per prompt (P, a square grid of patches).</summary>
    int ImageTokens { get; }
    int ImageStart(int prompt);
    int SequenceLength(int prompt);
    int AnswerPosition(int prompt);
    /// <summary>The scored token (the expected answer's first token).</summary>
    long Answer(int prompt);
    /// <summary>[P]: patch j holds the asked-about object; null when the prompt says nothing (then localisation is not scored).</summary>
    bool[]? ObjectPatches(int prompt);
    /// <summary>The clean image tokens in the decoder's input space. [1, P, D]</summary>
    Tensor CleanImageTokens(int prompt);
    /// <summary>Logits [B, T, V]: row b is prompt <paramref name="prompts"/>[b] with its image tokens replaced by
    /// <paramref name="imageTokens"/>[b]; the prompts share one layout (<see cref="VlmSubjects.SameLayout"/>).</summary>
    Tensor Logits(Tensor imageTokens, IReadOnlyList<int> prompts);
    /// <summary>The decoder's final norm and unembedding (the LM head; the logit lens).</summary>
    Tensor Unembed(Tensor residual);
    /// <summary>Text of token <paramref name="id"/> (figure labels).</summary>
    string TokenText(long id);
    /// <summary>Id of the token at <paramref name="position"/> of prompt <paramref name="prompt"/>'s sequence.</summary>
    long TokenAt(int prompt, int position);
}

/// <summary>Helpers over <see cref="IVlmSubject"/>.</summary>
public static class VlmSubjects
{
    /// <summary>Prompts of one layout (image start, length, answer position), batchable together; in prompt order.</summary>
    public static IReadOnlyList<int[]> SameLayout(IVlmSubject s) =>
        Enumerable.Range(0, s.Count).GroupBy(i => (s.ImageStart(i), s.SequenceLength(i), s.AnswerPosition(i))).Select(g => g.ToArray()).ToList();

    /// <summary>The answer logits of <see cref="IVlmSubject.Logits"/> (the prompts share the answer position). [B, V]</summary>
    public static Tensor AnswerLogits(IVlmSubject s, Tensor imageTokens, IReadOnlyList<int> prompts)
    {
        using var scope = NewDisposeScope();
        return scope.MoveToOuter(s.Logits(imageTokens, prompts).select(1, s.AnswerPosition(prompts[0])));
    }

    /// <summary>Answer probability of each row. [B]</summary>
    public static Tensor AnswerProbability(IVlmSubject s, Tensor imageTokens, IReadOnlyList<int> prompts)
    {
        using var scope = NewDisposeScope();
        var answers = tensor(prompts.Select(i => s.Answer(i)).ToArray(), device: imageTokens.device);
        return scope.MoveToOuter(VlmInterventions.AnswerProbability(AnswerLogits(s, imageTokens, prompts), answers));
    }

    /// <summary>Text positions traced after the image, ending at the answer: as many as the prompt with the fewest has
    /// (so columns line up across prompts, counted back from the answer).</summary>
    public static int TextColumns(IVlmSubject s) =>
        Enumerable.Range(0, s.Count).Min(i => s.AnswerPosition(i) - (s.ImageStart(i) + s.ImageTokens) + 1);

    /// <summary>The positions traced for one prompt: its image tokens, then the last <paramref name="text"/> positions up to the answer.</summary>
    public static long[] TracedPositions(IVlmSubject s, int prompt, int text) =>
        Enumerable.Range(s.ImageStart(prompt), s.ImageTokens)
            .Concat(Enumerable.Range(s.AnswerPosition(prompt) - text + 1, text)).Select(x => (long)x).ToArray();
}
