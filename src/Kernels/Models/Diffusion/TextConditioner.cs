using MMInterp.Kernels.Models.Clip;
using MMInterp.Kernels.Text;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Models.Diffusion;

/// <summary>The frozen CLIP text tower as the denoiser's text encoder. The empty caption is the "null" condition that
/// classifier-free guidance contrasts against.</summary>
public sealed class TextConditioner(ClipModel clip, ClipBpeTokenizer tokenizer, int contextLength)
{
    public ClipModel Clip { get; } = clip;
    public ClipBpeTokenizer Tokenizer { get; } = tokenizer;
    public int ContextLength { get; } = contextLength >= 4 && contextLength <= clip.Config.Text.MaxPositions ? contextLength
        : throw new ArgumentException($"contextLength must be in [4, {clip.Config.Text.MaxPositions}], got {contextLength}", nameof(contextLength));
    public int Width => Clip.Config.Text.Tower.HiddenSize;

    public const string Null = "";

    /// <summary>Token and pooled states of the captions, without gradients (the encoder stays frozen).</summary>
    public TextCondition Encode(IReadOnlyList<string> captions, Device? device = null)
    {
        if (captions.Count == 0) throw new ArgumentException("at least one caption is needed", nameof(captions));
        using var _ = no_grad();
        var dev = device ?? Clip.LogitScale.device;
        var ids = Tokenizer.EncodeBatch(captions, ContextLength, dev);
        var (hidden, pooled) = Clip.TextModel.Forward(ids);
        return new TextCondition(hidden.detach(), pooled.detach());
    }

    /// <summary>The words of one caption's tokens up to the end marker ("SOT", words, "EOT"), to label cross-attention maps.</summary>
    public IReadOnlyList<string> TokenWords(string caption)
    {
        var ids = Tokenizer.Encode(caption).Take(ContextLength).ToList();
        return ids.Select((id, k) => id == Tokenizer.StartId && k == 0 ? "SOT" : id == Tokenizer.EndId ? "EOT" : Tokenizer.Decode([id]).Trim()).ToList();
    }
}
