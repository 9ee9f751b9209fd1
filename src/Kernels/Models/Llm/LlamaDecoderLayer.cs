using MMInterp.Kernels.Hooks;
using MMInterp.Kernels.Models.Clip;
using TorchSharp;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Models.Llm;

/// <summary>HF LlamaDecoderLayer: pre-RMSNorm attention and SwiGLU MLP, each added to the residual stream; hook points
/// hook_resid_pre / hook_resid_mid / hook_resid_post around them.</summary>
public sealed class LlamaDecoderLayer : nn.Module
{
    readonly RmsNorm _inputNorm, _postAttentionNorm;
    readonly LlamaAttention _attn;
    readonly LlamaMlp _mlp;
    readonly HookPoint _residPre, _residMid, _residPost;

    public LlamaDecoderLayer(LlamaConfig c, int layer, HookRegistry hooks, string prefix, ScalarType dtype, bool initialise) : base("layer")
    {
        register_module("self_attn", _attn = new LlamaAttention(c, layer, hooks, $"{prefix}.attn", dtype, initialise));
        register_module("mlp", _mlp = new LlamaMlp(c, hooks, $"{prefix}.mlp", dtype, initialise));
        register_module("input_layernorm", _inputNorm = new RmsNorm("input_layernorm", c.HiddenSize, c.RmsNormEps, dtype, initialise));
        register_module("post_attention_layernorm", _postAttentionNorm = new RmsNorm("post_attention_layernorm", c.HiddenSize, c.RmsNormEps, dtype, initialise));
        _residPre = hooks.Register($"{prefix}.hook_resid_pre");
        _residMid = hooks.Register($"{prefix}.hook_resid_mid");
        _residPost = hooks.Register($"{prefix}.hook_resid_post");
    }

    internal bool InputHooked => ForwardScope.AnyHooked(_residPre);
    internal bool OutputHooked => ForwardScope.AnyHooked(_residPost);

    public Tensor Forward(Tensor x, Tensor cos, Tensor sin, Tensor mask, LlamaKvCache? cache)
    {
        // As CLIP's layer: each half frees its temporaries when it returns unless a hook inside may keep them.
        var inner = ForwardScope.AnyHooked(_residPre, _residMid) || _attn.Hooked || _mlp.Hooked;
        var post = ForwardScope.Run(inner, () =>
        {
            var pre = _residPre.Apply(x);
            var mid = _residMid.Apply(ForwardScope.Run(_attn.Hooked,
                () => ForwardScope.Residual(pre, _attn.Forward(_inputNorm.Forward(pre), cos, sin, mask, cache))));
            return ForwardScope.Run(_mlp.Hooked, () => ForwardScope.Residual(mid, _mlp.Forward(_postAttentionNorm.Forward(mid))));
        });
        return _residPost.Apply(post);
    }
}
