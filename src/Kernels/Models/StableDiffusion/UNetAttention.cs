using MMInterp.Kernels.Hooks;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Models.StableDiffusion;

/// <summary>diffusers' Attention as the SD U-Net uses it: to_q/to_k/to_v without bias, to_out.0 with bias, softmax
/// over scaled dot products (scale dh^-0.5). Self-attention when context is the tokens themselves (attn1),
/// cross-attention to the text states otherwise (attn2). The pattern [B,H,T,S] and per-head z [B,T,H,dh] are hooked.</summary>
public sealed class UNetAttention : nn.Module
{
    readonly Linear _q, _k, _v, _out;
    readonly int _heads, _headDim;
    // A field, not a temporary, so the GC cannot finalise it during the native call.
    readonly Scalar _scale;
    readonly HookPoint _pattern, _z;

    public UNetAttention(int width, int contextWidth, int heads, HookRegistry hooks, string prefix) : base("attn")
    {
        _heads = heads;
        _headDim = width / heads;
        _scale = Math.Pow(_headDim, -0.5).ToScalar();
        register_module("to_q", _q = nn.Linear(width, width, hasBias: false));
        register_module("to_k", _k = nn.Linear(contextWidth, width, hasBias: false));
        register_module("to_v", _v = nn.Linear(contextWidth, width, hasBias: false));
        // diffusers keeps the output projection at index 0 of a list (index 1 is dropout, which has no weights).
        register_module("to_out", nn.ModuleList(_out = nn.Linear(width, width)));
        _pattern = hooks.Register($"{prefix}.hook_pattern", headDim: 1);
        _z = hooks.Register($"{prefix}.hook_z", headDim: 2);
    }

    public int Heads => _heads;

    /// <param name="x">[B, T, W] queries</param>
    /// <param name="context">[B, S, C] keys and values</param>
    public Tensor Forward(Tensor x, Tensor context)
    {
        var (b, t, s) = (x.shape[0], x.shape[1], context.shape[1]);
        var q = _q.forward(x).view(b, t, _heads, _headDim).transpose(1, 2);
        var k = _k.forward(context).view(b, s, _heads, _headDim).transpose(1, 2);
        var v = _v.forward(context).view(b, s, _heads, _headDim).transpose(1, 2);
        // Unhooked patterns go through libtorch's fused attention, which need not hold [B,H,T,S] at once (at SD's
        // 64x64 latents that is 4096 x 4096 per head); a hook on the pattern gets it materialised.
        var heads = _pattern.IsAttached
            ? _pattern.Apply((q.matmul(k.transpose(-1, -2)) * _scale).softmax(-1)).matmul(v) // pattern [B, H, T, S]
            : nn.functional.scaled_dot_product_attention(q, k, v);
        var z = _z.Apply(heads.transpose(1, 2)); // [B, T, H, dh]
        return _out.forward(z.reshape(b, t, _heads * _headDim));
    }
}
