using MMInterp.Kernels.Hooks;
using TorchSharp;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Models.Llm;

/// <summary>
/// HF LlamaAttention / Qwen2Attention (q/k/v/o_proj) with grouped-query attention: each key/value head serves
/// NumHeads / NumKvHeads query heads. Hook points (TransformerLens names): hook_q [B,T,H,d], hook_k and hook_v
/// [B,T,Hkv,d] (before rotary), hook_rot_q / hook_rot_k (after), hook_pattern [B,H,T,S], hook_z [B,T,H,d].
/// </summary>
public sealed class LlamaAttention : nn.Module
{
    readonly StoredLinear _q, _k, _v, _o;
    readonly int _heads, _kvHeads, _headDim, _layer;
    readonly Scalar _scale;
    readonly HookPoint _hookQ, _hookK, _hookV, _rotQ, _rotK, _pattern, _z;

    public LlamaAttention(LlamaConfig c, int layer, HookRegistry hooks, string prefix, ScalarType dtype, bool initialise) : base("self_attn")
    {
        (_heads, _kvHeads, _headDim, _layer) = (c.NumHeads, c.NumKvHeads, c.HeadDim, layer);
        _scale = Math.Pow(_headDim, -0.5).ToScalar();
        register_module("q_proj", _q = new StoredLinear("q_proj", c.HiddenSize, _heads * _headDim, c.QkvBias, dtype, initialise));
        register_module("k_proj", _k = new StoredLinear("k_proj", c.HiddenSize, _kvHeads * _headDim, c.QkvBias, dtype, initialise));
        register_module("v_proj", _v = new StoredLinear("v_proj", c.HiddenSize, _kvHeads * _headDim, c.QkvBias, dtype, initialise));
        register_module("o_proj", _o = new StoredLinear("o_proj", _heads * _headDim, c.HiddenSize, c.OutputBias, dtype, initialise));
        _hookQ = hooks.Register($"{prefix}.hook_q", headDim: 2);
        _hookK = hooks.Register($"{prefix}.hook_k", headDim: 2);
        _hookV = hooks.Register($"{prefix}.hook_v", headDim: 2);
        _rotQ = hooks.Register($"{prefix}.hook_rot_q", headDim: 2);
        _rotK = hooks.Register($"{prefix}.hook_rot_k", headDim: 2);
        _pattern = hooks.Register($"{prefix}.hook_pattern", headDim: 1);
        _z = hooks.Register($"{prefix}.hook_z", headDim: 2);
    }

    internal bool Hooked => Clip.ForwardScope.AnyHooked(_hookQ, _hookK, _hookV, _rotQ, _rotK, _pattern, _z);

    /// <param name="x">[B, T, D] float32 (normalised residual)</param>
    /// <param name="cos">rotary cos [B, 1, T, d]; <paramref name="sin"/> likewise</param>
    /// <param name="mask">additive [B or 1, 1, T, S] mask over the S = cached + T keys</param>
    /// <param name="cache">keys/values of earlier positions, appended to; null for a cache-free pass</param>
    public Tensor Forward(Tensor x, Tensor cos, Tensor sin, Tensor mask, LlamaKvCache? cache)
    {
        var (b, t) = (x.shape[0], x.shape[1]);
        var q = _hookQ.Apply(_q.Forward(x).view(b, t, _heads, _headDim));
        var k = _hookK.Apply(_k.Forward(x).view(b, t, _kvHeads, _headDim));
        var v = _hookV.Apply(_v.Forward(x).view(b, t, _kvHeads, _headDim));
        // [B, T, H, d] -> [B, H, T, d]
        q = _rotQ.Apply(RotaryEmbedding.Apply(q.transpose(1, 2), cos, sin).transpose(1, 2)).transpose(1, 2);
        k = _rotK.Apply(RotaryEmbedding.Apply(k.transpose(1, 2), cos, sin).transpose(1, 2)).transpose(1, 2);
        v = v.transpose(1, 2);
        if (cache is not null) (k, v) = cache.Append(_layer, k, v);
        var scores = q.matmul(Repeat(k).transpose(-1, -2)).mul_(_scale);
        scores = scores.add_(mask);
        var pattern = _pattern.Apply(scores.softmax(-1));
        var z = _z.Apply(pattern.matmul(Repeat(v)).transpose(1, 2)); // [B, T, H, d]
        return _o.Forward(z.reshape(b, t, _heads * _headDim));
    }

    /// <summary>[B, Hkv, S, d] -> [B, H, S, d], each key/value head repeated for its group of query heads.</summary>
    Tensor Repeat(Tensor kv)
    {
        if (_kvHeads == _heads) return kv;
        var (b, s) = (kv.shape[0], kv.shape[2]);
        return kv.unsqueeze(2).expand(b, _kvHeads, _heads / _kvHeads, s, _headDim).reshape(b, _heads, s, _headDim);
    }
}
