using MMInterp.Kernels.Hooks;
using MMInterp.Kernels.Models.Clip;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Models.Vlm;

/// <summary>
/// A VLM that answers ShapesWorld questions in the zoo's format (word ids from <see cref="VlmVocabulary"/>, the answer
/// one next-token prediction at the question's last word): what the evaluator, the ShapesWorld prompts, the study and
/// steering read. Served by the zoo's own <see cref="VlmModel"/> (vlm-zoo/1-5) and by <see cref="ZooLlava"/>, the same
/// task on HF's LLaVA architecture (vlm-zoo/6-7). The sequence is [<see cref="ImageStart"/> text tokens, the image tokens,
/// the question], with hooks vision.blocks.{i}.*, adapter.hook_out (the image tokens) and lm.blocks.{i}.*.
/// </summary>
public interface IShapesVlm : IDisposable
{
    HookRegistry Hooks { get; }
    Device Device { get; }
    int LmLayers { get; }
    ClipVisionTransformer VisionModel { get; }
    int ImageSize { get; }
    int PatchSize { get; }
    /// <summary>Image tokens per image (one per patch, no class token).</summary>
    int ImageTokenCount { get; }
    int MaxQuestionTokens { get; }
    /// <summary>Sequence index of the first image token (0 for the zoo decoder, 1 after LLaVA's BOS).</summary>
    int ImageStart { get; }
    bool Training { get; }
    void SetTraining(bool on);

    /// <summary>Image tokens in the decoder's input space. [B, P, D]</summary>
    Tensor ImageTokens(Tensor pixels);
    /// <summary>Next-token logits of the whole sequence for ready image tokens and right-padded question ids. [B, T, V]</summary>
    Tensor LmLogits(Tensor imageTokens, Tensor questionIds);
    /// <summary>Sequence index of each question's last token. [B] int64</summary>
    Tensor AnswerPositions(Tensor lengths);
    /// <summary>The decoder's final norm and unembedding (the logit lens).</summary>
    Tensor Unembed(Tensor residual);
}

/// <summary>Answer logits over <see cref="IShapesVlm"/>.</summary>
public static class ShapesVlm
{
    /// <summary>The next-token logits at each question's last token. [B, V]</summary>
    public static Tensor AnswerLogitsFromTokens(this IShapesVlm model, Tensor imageTokens, Tensor questionIds, Tensor lengths)
    {
        using var scope = NewDisposeScope();
        var logits = model.LmLogits(imageTokens, questionIds);
        var positions = model.AnswerPositions(lengths).to(logits.device);
        return scope.MoveToOuter(logits[arange(logits.shape[0], device: logits.device), positions]);
    }

    public static Tensor AnswerLogits(this IShapesVlm model, Tensor pixels, Tensor questionIds, Tensor lengths)
    {
        using var scope = NewDisposeScope();
        return scope.MoveToOuter(model.AnswerLogitsFromTokens(model.ImageTokens(pixels), questionIds, lengths));
    }
}
