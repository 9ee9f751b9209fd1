using MMInterp.Kernels.Hooks;
using TorchSharp;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Models.Llm;

/// <summary>
/// HF LlamaForCausalLM / Qwen2ForCausalLM under HF parameter names (model.embed_tokens.weight,
/// model.layers.{i}.self_attn.q_proj.weight, ..., model.norm.weight, lm_head.weight unless tied), with
/// TransformerLens-style hook points under <c>{prefix}.hook_embed</c> and <c>{prefix}.blocks.{i}.*</c>. Parameters are
/// kept in their storage dtype (float32, or a checkpoint's bf16/fp16) and everything is computed in float32. Forward
/// takes token ids, or input embeddings (so a multimodal model can splice image features into the sequence).
/// </summary>
public sealed class LlamaForCausalLm : nn.Module
{
    readonly LlamaModel _model;
    readonly StoredLinear? _head;
    readonly RotaryEmbedding _rotary;
    readonly HookPoint _embedHook;
    // Additive mask value: finfo(float32).min as HF uses, so a fully masked (padding) row gives a uniform, finite softmax.
    // Held for the process lifetime: a temporary Scalar can be finalised while libtorch reads it (see Clip.Activations).
    static readonly Scalar Masked = float.MinValue.ToScalar();

    /// <param name="hooks">the registry to put the hook points in (a multimodal model shares one); null makes one</param>
    /// <param name="hookPrefix">hook names start with this ("lm.blocks.3.attn.hook_z")</param>
    /// <param name="dtype">storage dtype of the parameters: Float32, BFloat16 or Float16</param>
    /// <param name="initialise">false leaves the parameters uninitialised, for a checkpoint load to fill</param>
    public LlamaForCausalLm(LlamaConfig config, HookRegistry? hooks = null, string hookPrefix = "lm", ScalarType dtype = ScalarType.Float32, bool initialise = true)
        : base("language_model")
    {
        Config = config.Validate();
        Hooks = hooks ?? new HookRegistry();
        StorageDType = dtype;
        _embedHook = Hooks.Register($"{hookPrefix}.hook_embed");
        register_module("model", _model = new LlamaModel(config, Hooks, hookPrefix, dtype, initialise));
        if (!config.TieWordEmbeddings) register_module("lm_head", _head = new StoredLinear("lm_head", config.HiddenSize, config.VocabSize, false, dtype, initialise));
        _rotary = new RotaryEmbedding(config);
    }

    public LlamaConfig Config { get; }
    public HookRegistry Hooks { get; }
    public ScalarType StorageDType { get; }
    public int Layers => _model.Count;
    public LlamaModel Model => _model;

    /// <summary>A cache for <see cref="Forward"/> / <see cref="ForwardEmbeddings"/> (dispose it when done).</summary>
    public LlamaKvCache NewCache() => new(Layers);

    /// <summary>Token embeddings, float32 [B, T, D].</summary>
    public Tensor Embed(Tensor ids) => _model.EmbedTokens.Forward(ids);

    /// <summary>Final norm then the LM head (tied to embed_tokens when the config says so): the logits, and the logit lens.</summary>
    public Tensor Unembed(Tensor residual)
    {
        using var scope = NewDisposeScope();
        var normed = _model.Norm.Forward(residual);
        return scope.MoveToOuter(StoredLinear.Apply(normed, _head?.Weight ?? _model.EmbedTokens.Weight, null));
    }

    /// <summary>Logits [B, T, V] for token ids [B, T].</summary>
    public Tensor Forward(Tensor ids, LlamaKvCache? cache = null, Tensor? attentionMask = null, Tensor? positions = null) =>
        ForwardEmbeddings(Embed(ids), cache, attentionMask, positions);

    /// <summary>Logits [B, T, V] for input embeddings [B, T, D].</summary>
    public Tensor ForwardEmbeddings(Tensor embeds, LlamaKvCache? cache = null, Tensor? attentionMask = null, Tensor? positions = null)
    {
        using var scope = NewDisposeScope();
        return scope.MoveToOuter(Unembed(Residual(embeds, cache, attentionMask, positions)));
    }

    /// <summary>
    /// The residual stream after the last layer, [B, T, D] float32.
    /// </summary>
    /// <param name="embeds">[B, T, D] input embeddings (float32)</param>
    /// <param name="cache">earlier positions' keys/values; this forward's are appended. Null: the sequence stands alone.</param>
    /// <param name="attentionMask">[B, cached + T] with 1 for real tokens and 0 for padding (HF's attention_mask), or null</param>
    /// <param name="positions">[B, T] int64 positions, or null: HF's default (cached + 0..T-1, or from the attention mask
    /// as generate computes them: cumulative count of real tokens - 1)</param>
    public Tensor Residual(Tensor embeds, LlamaKvCache? cache = null, Tensor? attentionMask = null, Tensor? positions = null)
    {
        if (embeds.dim() != 3 || embeds.shape[2] != Config.HiddenSize)
            throw new ArgumentException($"input embeddings must be [B,T,{Config.HiddenSize}], got [{string.Join(",", embeds.shape)}]");
        if (embeds.dtype != ScalarType.Float32) throw new ArgumentException($"input embeddings must be float32, got {embeds.dtype}");
        var (b, t) = (embeds.shape[0], embeds.shape[1]);
        var past = cache?.Length ?? 0;
        if (attentionMask is not null && (attentionMask.dim() != 2 || attentionMask.shape[0] != b || attentionMask.shape[1] != past + t))
            throw new ArgumentException($"attention mask must be [B={b}, cached+T={past + t}], got [{string.Join(",", attentionMask.shape)}]");
        if (positions is not null && (positions.dim() != 2 || positions.shape[0] != b || positions.shape[1] != t))
            throw new ArgumentException($"positions must be [B={b}, T={t}], got [{string.Join(",", positions.shape)}]");
        using var scope = NewDisposeScope();
        positions ??= DefaultPositions(b, t, past, attentionMask, embeds.device);
        var (cos, sin) = _rotary.Angles(positions);
        var mask = Mask(t, past, attentionMask, embeds.device);
        var x = _embedHook.Apply(embeds);
        return scope.MoveToOuter(_model.Forward(x, cos, sin, mask, cache));
    }

    static Tensor DefaultPositions(long b, long t, int past, Tensor? attentionMask, Device device)
    {
        if (attentionMask is null) return arange(past, past + t, dtype: ScalarType.Int64, device: device).unsqueeze(0).expand(b, t);
        var keep = attentionMask.to(ScalarType.Int64);
        // Held Scalars: an implicit one can be finalised during the native call (Tensors/Scalars).
        using var zero = 0L.ToScalar();
        using var one = 1L.ToScalar();
        var counted = keep.cumsum(-1, ScalarType.Int64).sub(one);
        return counted.masked_fill(keep.eq(zero), one).narrow(1, past, t);
    }

    /// <summary>Additive [B or 1, 1, T, past + T] mask: query i (at past + i) sees keys 0..past + i that are not padding.</summary>
    static Tensor Mask(long t, int past, Tensor? attentionMask, Device device)
    {
        var causal = full(t, past + t, Masked, device: device).triu(past + 1).view(1, 1, t, past + t);
        if (attentionMask is null) return causal;
        using var zero = 0L.ToScalar();
        var padding = zeros(attentionMask.shape, device: device).masked_fill(attentionMask.eq(zero), Masked);
        // Values are 0 or Masked, so the minimum masks a key that either rule masks (a sum could overflow to -inf).
        return causal.minimum(padding.view(attentionMask.shape[0], 1, 1, past + t));
    }
}
