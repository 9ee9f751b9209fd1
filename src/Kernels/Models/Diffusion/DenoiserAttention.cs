using MMInterp.Kernels.Hooks;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Models.Diffusion;

/// <summary>Multi-head attention whose queries come from the image tokens and keys/values from <c>context</c>
/// (the same tokens for self-attention, the text states for cross-attention); pattern and per-head z are hooked.</summary>
public sealed class DenoiserAttention : nn.Module
{
    readonly Linear _q, _k, _v, _out;
    readonly int _heads, _headDim;
    // A field, not a temporary, so the GC cannot finalise it during the native call.
    readonly Scalar _scale;
    readonly HookPoint _pattern, _z;

    public DenoiserAttention(int width, int contextWidth, int heads, HookRegistry hooks, string prefix) : base("attn")
    {
        _heads = heads;
        _headDim = width / heads;
        _scale = Math.Pow(_headDim, -0.5).ToScalar();
        register_module("q_proj", _q = nn.Linear(width, width));
        register_module("k_proj", _k = nn.Linear(contextWidth, width));
        register_module("v_proj", _v = nn.Linear(contextWidth, width));
        register_module("out_proj", _out = nn.Linear(width, width));
        _pattern = hooks.Register($"{prefix}.hook_pattern", headDim: 1);
        _z = hooks.Register($"{prefix}.hook_z", headDim: 2);
    }

    public int Heads => _heads;

    /// <param name="x">[B, T, W] queries</param>
    /// <param name="context">[B, S, C] keys and values</param>
    public Tensor Forward(Tensor x, Tensor context)
    {
        var (b, t, s) = (x.shape[0], x.shape[1], context.shape[1]);
        var q = (_q.forward(x) * _scale).view(b, t, _heads, _headDim).transpose(1, 2);
        var k = _k.forward(context).view(b, s, _heads, _headDim).transpose(1, 2);
        var v = _v.forward(context).view(b, s, _heads, _headDim).transpose(1, 2);
        var pattern = _pattern.Apply(q.matmul(k.transpose(-1, -2)).softmax(-1)); // [B, H, T, S]
        var z = _z.Apply(pattern.matmul(v).transpose(1, 2)); // [B, T, H, dh]
        return _out.forward(z.reshape(b, t, _heads * _headDim));
    }
}
