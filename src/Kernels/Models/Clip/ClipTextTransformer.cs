using MMInterp.Kernels.Hooks;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Models.Clip;

/// <summary>HF CLIPTextEmbeddings: token plus learned position embeddings.</summary>
public sealed class ClipTextEmbeddings : nn.Module
{
    readonly Embedding _token, _position;

    public ClipTextEmbeddings(ClipTextConfig c) : base("embeddings")
    {
        register_module("token_embedding", _token = nn.Embedding(c.VocabSize, c.Tower.HiddenSize));
        register_module("position_embedding", _position = nn.Embedding(c.MaxPositions, c.Tower.HiddenSize));
        using (no_grad())
        {
            _token.weight!.normal_(0, 0.02);
            _position.weight!.normal_(0, 0.01);
        }
    }

    public Tensor Forward(Tensor ids) =>
        _token.forward(ids) + _position.weight!.narrow(0, 0, ids.shape[1]).unsqueeze(0);
}

/// <summary>HF CLIPTextTransformer: causal encoder, final_layer_norm, pooled at the end-of-text token.</summary>
public sealed class ClipTextTransformer : nn.Module
{
    readonly ClipTextEmbeddings _embeddings;
    readonly ClipEncoder _encoder;
    readonly LayerNorm _final;
    readonly ClipTextConfig _config;

    public ClipTextTransformer(ClipTextConfig c, HookRegistry hooks) : base("text_model")
    {
        _config = c;
        register_module("embeddings", _embeddings = new ClipTextEmbeddings(c));
        register_module("encoder", _encoder = new ClipEncoder(c.Tower, hooks, "text"));
        register_module("final_layer_norm", _final = nn.LayerNorm(c.Tower.HiddenSize, c.Tower.LayerNormEps));
    }

    /// <param name="ids">[B, T] int64, T ≤ max_position_embeddings</param>
    /// <returns>normed hidden states [B, T, D] and the pooled EOS state [B, D]</returns>
    public (Tensor Hidden, Tensor Pooled) Forward(Tensor ids)
    {
        if (ids.dim() != 2) throw new ArgumentException($"token ids must be [B,T], got [{string.Join(",", ids.shape)}]");
        var t = ids.shape[1];
        if (t > _config.MaxPositions) throw new ArgumentException($"token sequence of {t} exceeds max_position_embeddings {_config.MaxPositions}");
        // Additive causal mask: position i sees positions ≤ i.
        using var negativeInfinity = float.NegativeInfinity.ToScalar();
        var mask = full(t, t, negativeInfinity, device: ids.device).triu(1);
        var hidden = _final.forward(_encoder.Forward(_embeddings.Forward(ids), mask));
        var pooledAt = EosPositions(ids);
        var pooled = hidden[arange(ids.shape[0], device: ids.device), pooledAt];
        return (hidden, pooled);
    }

    /// <summary>final_layer_norm alone: what diffusers' pipelines apply to an earlier hidden state when they skip layers (clip_skip).</summary>
    public Tensor FinalLayerNorm(Tensor hidden) => _final.forward(hidden);

    /// <summary>The same run keeping HF's hidden_states[-<paramref name="fromEnd"/>] as well (fromEnd 2: the
    /// penultimate block's output, before final_layer_norm, which SDXL's pipelines condition on).</summary>
    /// <returns>last_hidden_state (normed) [B, T, D], pooled [B, D] and the kept state [B, T, D]</returns>
    public (Tensor Hidden, Tensor Pooled, Tensor State) Forward(Tensor ids, int fromEnd)
    {
        var layers = _config.Tower.NumLayers;
        if (fromEnd < 1 || fromEnd > layers + 1) throw new ArgumentException($"hidden_states[-{fromEnd}] does not exist: the text tower has {layers} layers ({layers + 1} hidden states)", nameof(fromEnd));
        if (ids.dim() != 2) throw new ArgumentException($"token ids must be [B,T], got [{string.Join(",", ids.shape)}]");
        var t = ids.shape[1];
        if (t > _config.MaxPositions) throw new ArgumentException($"token sequence of {t} exceeds max_position_embeddings {_config.MaxPositions}");
        using var negativeInfinity = float.NegativeInfinity.ToScalar();
        var mask = full(t, t, negativeInfinity, device: ids.device).triu(1);
        // hidden_states[k] is the input (k = 0) or block k-1's output; hidden_states[-j] is index layers + 1 - j.
        var keptIndex = layers + 1 - fromEnd;
        var embedded = _embeddings.Forward(ids);
        var state = keptIndex == 0 ? embedded : _encoder.Forward(embedded, mask, lastLayer: keptIndex - 1);
        var last = keptIndex == layers ? state : _encoder.Forward(state, mask, firstLayer: keptIndex);
        var hidden = _final.forward(last);
        var pooled = hidden[arange(ids.shape[0], device: ids.device), EosPositions(ids)];
        return (hidden, pooled, state);
    }

    /// <summary>HF's rule: eos_token_id == 2 (legacy configs) pools at argmax(ids), else at the first id == eos.</summary>
    public Tensor EosPositions(Tensor ids)
    {
        if (_config.EosTokenId == 2) return ids.to_type(ScalarType.Int32).argmax(-1);
        // An explicit Scalar kept alive through the call: an implicit one can be finalized mid-call ("Unknown scalar type").
        using var eos = ((long)_config.EosTokenId).ToScalar();
        return ids.eq(eos).to_type(ScalarType.Int32).argmax(-1);
    }
}
