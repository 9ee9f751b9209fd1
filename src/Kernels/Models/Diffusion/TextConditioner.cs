using MMInterp.Kernels.Models.Clip;
using MMInterp.Kernels.Text;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Models.Diffusion;

/// <summary>The frozen CLIP text tower as the denoiser's text encoder. The empty caption is the "null" condition that
/// classifier-free guidance contrasts against. <paramref name="clipSkip"/> is diffusers' clip_skip: the token states
/// are final_layer_norm(hidden_states[-(clipSkip + 1)]) (0: the last layer's output, as SD 1.x conditions).</summary>
public sealed class TextConditioner(ClipModel clip, ClipBpeTokenizer tokenizer, int contextLength, int clipSkip = 0) : IPromptEncoder
{
    public ClipModel Clip { get; } = clip;
    public ClipBpeTokenizer Tokenizer { get; } = tokenizer;
    public int ContextLength { get; } = contextLength >= 4 && contextLength <= clip.Config.Text.MaxPositions ? contextLength
        : throw new ArgumentException($"contextLength must be in [4, {clip.Config.Text.MaxPositions}], got {contextLength}", nameof(contextLength));
    public int Width => Clip.Config.Text.Tower.HiddenSize;
    public int ClipSkip { get; } = clipSkip >= 0 && clipSkip <= clip.Config.Text.Tower.NumLayers ? clipSkip
        : throw new ArgumentException($"clipSkip must be in [0, {clip.Config.Text.Tower.NumLayers}] (the text tower's layers), got {clipSkip}", nameof(clipSkip));

    public const string Null = "";

    public Device Device => Clip.LogitScale.device;

    /// <summary>Token and pooled states of the captions, without gradients (the encoder stays frozen).</summary>
    public TextCondition Encode(IReadOnlyList<string> captions, Device? device = null)
    {
        if (captions.Count == 0) throw new ArgumentException("at least one caption is needed", nameof(captions));
        using var _ = no_grad();
        var dev = device ?? Clip.LogitScale.device;
        var ids = Tokenizer.EncodeBatch(captions, ContextLength, dev);
        if (ClipSkip == 0)
        {
            var (hidden, pooled) = Clip.TextModel.Forward(ids);
            return new TextCondition(hidden.detach(), pooled.detach());
        }
        var (_, pool, state) = Clip.TextModel.Forward(ids, ClipSkip + 1);
        return new TextCondition(Clip.TextModel.FinalLayerNorm(state).detach(), pool.detach());
    }

    /// <summary>The words of one caption's tokens up to the end marker ("SOT", words, "EOT"), to label cross-attention maps.</summary>
    public IReadOnlyList<string> TokenWords(string caption)
    {
        var ids = Tokenizer.Encode(caption).Take(ContextLength).ToList();
        return ids.Select((id, k) => id == Tokenizer.StartId && k == 0 ? "SOT" : id == Tokenizer.EndId ? "EOT" : Tokenizer.Decode([id]).Trim()).ToList();
    }
}
