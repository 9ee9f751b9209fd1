using MMInterp.Kernels.Hooks;
using MMInterp.Kernels.Models.Clip;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Models.Vlm;

/// <summary>Small pre-LN causal decoder (image tokens optionally bidirectional among themselves): token + learned position embeddings, the CLIP encoder layers under the
/// "lm" hook prefix (lm.blocks.{i}.hook_resid_pre/mid/post, attn.hook_pattern, attn.hook_z, mlp.hook_post), a final
/// LayerNorm and an untied unembedding.</summary>
public sealed class VlmLanguageModel : nn.Module
{
    readonly Embedding _token, _position;
    readonly ClipEncoder _encoder;
    readonly LayerNorm _final;
    readonly Linear _unembed;
    readonly VlmConfig _config;

    public VlmLanguageModel(VlmConfig c, HookRegistry hooks) : base("lm")
    {
        _config = c;
        register_module("token_embedding", _token = nn.Embedding(c.VocabSize, c.Lm.HiddenSize));
        register_module("position_embedding", _position = nn.Embedding(c.MaxPositions, c.Lm.HiddenSize));
        register_module("encoder", _encoder = new ClipEncoder(c.Lm, hooks, "lm"));
        register_module("final_layer_norm", _final = nn.LayerNorm(c.Lm.HiddenSize, c.Lm.LayerNormEps));
        register_module("unembed", _unembed = nn.Linear(c.Lm.HiddenSize, c.VocabSize, hasBias: false));
        // Image tokens arrive at unit scale (the adapter's LayerNorm); embeddings of a comparable scale keep positions
        // (which patch) and question words from being drowned by them.
        using (no_grad())
        {
            _token.weight!.normal_(0, 0.1);
            _position.weight!.normal_(0, 0.1);
            if (c.GridImagePositions) _position.weight!.narrow(0, 0, c.ImageTokens).copy_(GridPositions(c.Vision.PatchesPerSide, c.Lm.HiddenSize));
        }
    }

    /// <summary>[side*side, width]: a quarter of the channels each for sin/cos of the row and of the column, at
    /// frequencies from a half period over the whole side (monotone: upper vs lower) to one patch (neighbours differ).</summary>
    static Tensor GridPositions(int side, int width)
    {
        var quarter = width / 4;
        var values = new float[side * side * width];
        for (var row = 0; row < side; row++)
        for (var col = 0; col < side; col++)
        for (var k = 0; k < quarter; k++)
        {
            var omega = Math.PI / side * Math.Pow(side, quarter == 1 ? 0 : (double)k / (quarter - 1));
            var at = (row * side + col) * width;
            values[at + k] = (float)Math.Sin(row * omega);
            values[at + quarter + k] = (float)Math.Cos(row * omega);
            values[at + 2 * quarter + k] = (float)Math.Sin(col * omega);
            values[at + 3 * quarter + k] = (float)Math.Cos(col * omega);
        }
        return tensor(values, [side * side, width]);
    }

    public int Layers => _encoder.Count;

    /// <summary>Final LayerNorm then unembedding: the LM head, also the logit lens.</summary>
    public Tensor Unembed(Tensor residual) => _unembed.forward(_final.forward(residual));

    /// <param name="imageTokens">[B, P, D] adapter output</param>
    /// <param name="questionIds">[B, Q] int64, right-padded (the causal mask keeps padding out of earlier positions)</param>
    /// <returns>logits [B, P+Q, V]</returns>
    public Tensor Forward(Tensor imageTokens, Tensor questionIds)
    {
        if (imageTokens.dim() != 3 || imageTokens.shape[1] != _config.ImageTokens || imageTokens.shape[2] != _config.Lm.HiddenSize)
            throw new ArgumentException($"image tokens must be [B,{_config.ImageTokens},{_config.Lm.HiddenSize}], got [{string.Join(",", imageTokens.shape)}]");
        if (questionIds.dim() != 2 || questionIds.shape[0] != imageTokens.shape[0])
            throw new ArgumentException($"question ids must be [B,Q] with B={imageTokens.shape[0]}, got [{string.Join(",", questionIds.shape)}]");
        if (questionIds.shape[1] > _config.MaxQuestionTokens)
            throw new ArgumentException($"question of {questionIds.shape[1]} tokens exceeds MaxQuestionTokens {_config.MaxQuestionTokens}");
        var x = cat([imageTokens, _token.forward(questionIds)], 1);
        var t = x.shape[1];
        x = x + _position.weight!.narrow(0, 0, t).unsqueeze(0);
        using var negativeInfinity = float.NegativeInfinity.ToScalar();
        var mask = full(t, t, negativeInfinity, device: x.device).triu(1);
        if (_config.BidirectionalImage) mask.narrow(0, 0, _config.ImageTokens).narrow(1, 0, _config.ImageTokens).zero_();
        return Unembed(_encoder.Forward(x, mask));
    }
}
