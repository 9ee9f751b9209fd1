using MMInterp.Kernels.Hooks;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Models.StableDiffusion;

/// <summary>diffusers' BasicTransformerBlock (pre-LayerNorm): x += attn1(norm1 x); x += attn2(norm2 x, text);
/// x += ff(norm3 x), with a GEGLU feed-forward ff.net.0.proj -> ff.net.2 of inner width 4 x dim. Hooks:
/// {prefix}.self.*, {prefix}.cross.*, {prefix}.mlp.hook_post (the GEGLU output), {prefix}.hook_resid_post.</summary>
public sealed class UNetTransformerBlock : nn.Module
{
    readonly LayerNorm _norm1, _norm2, _norm3;
    readonly UNetAttention _attn1, _attn2;
    readonly UNetFeedForward _ff;
    readonly HookPoint _residPost;

    public UNetTransformerBlock(int dim, int contextDim, int heads, HookRegistry hooks, string prefix) : base("block")
    {
        register_module("norm1", _norm1 = nn.LayerNorm(dim));
        register_module("attn1", _attn1 = new UNetAttention(dim, dim, heads, hooks, $"{prefix}.self"));
        register_module("norm2", _norm2 = nn.LayerNorm(dim));
        register_module("attn2", _attn2 = new UNetAttention(dim, contextDim, heads, hooks, $"{prefix}.cross"));
        register_module("norm3", _norm3 = nn.LayerNorm(dim));
        register_module("ff", _ff = new UNetFeedForward(dim, hooks.Register($"{prefix}.mlp.hook_post")));
        _residPost = hooks.Register($"{prefix}.hook_resid_post");
    }

    public UNetAttention SelfAttention => _attn1;
    public UNetAttention CrossAttention => _attn2;

    /// <param name="x">[B, T, D] image tokens</param>
    /// <param name="context">[B, S, C] text states</param>
    public Tensor Forward(Tensor x, Tensor context)
    {
        using var scope = NewDisposeScope(); // the block's intermediates go when it returns (as in ResnetBlock2D)
        var h = _norm1.forward(x);
        x = x + _attn1.Forward(h, h);
        x = x + _attn2.Forward(_norm2.forward(x), context);
        x = x + _ff.Forward(_norm3.forward(x));
        return _residPost.Apply(x).MoveToOuterDisposeScope();
    }
}
