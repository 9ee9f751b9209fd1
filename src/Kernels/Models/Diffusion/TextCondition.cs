using static TorchSharp.torch;

namespace MMInterp.Kernels.Models.Diffusion;

/// <summary>What the denoiser sees of a caption: the text encoder's token states [B, S, D] and its pooled state [B, D].</summary>
public sealed record TextCondition(Tensor Tokens, Tensor Pooled)
{
    public long Count => Tokens.shape[0];

    /// <summary>Rows <paramref name="index"/> (for splitting a batch or repeating a prompt).</summary>
    public TextCondition Select(Tensor index) => new(Tokens.index_select(0, index), Pooled.index_select(0, index));

    public static TextCondition Concat(TextCondition a, TextCondition b) =>
        new(cat([a.Tokens, b.Tokens], 0), cat([a.Pooled, b.Pooled], 0));
}
