using MMInterp.Kernels.Hooks;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Models.Clip;

/// <summary>HF CLIPAttention (q/k/v/out_proj with bias), written out so the pattern and per-head z can be hooked.</summary>
public sealed class ClipAttention : nn.Module
{
    readonly Linear _q, _k, _v, _out;
    readonly int _heads, _headDim;
    // A field, not a temporary, so the GC cannot finalise it during the native call (see Activations).
    readonly Scalar _scale;
    readonly HookPoint _pattern, _z;

    public ClipAttention(ClipTowerConfig c, HookRegistry hooks, string prefix) : base("self_attn")
    {
        _heads = c.NumHeads;
        _headDim = c.HeadDim;
        _scale = Math.Pow(_headDim, -0.5).ToScalar();
        register_module("q_proj", _q = nn.Linear(c.HiddenSize, c.HiddenSize));
        register_module("k_proj", _k = nn.Linear(c.HiddenSize, c.HiddenSize));
        register_module("v_proj", _v = nn.Linear(c.HiddenSize, c.HiddenSize));
        register_module("out_proj", _out = nn.Linear(c.HiddenSize, c.HiddenSize));
        _pattern = hooks.Register($"{prefix}.hook_pattern", headDim: 1);
        _z = hooks.Register($"{prefix}.hook_z", headDim: 2);
    }

    internal bool Hooked => ForwardScope.AnyHooked(_pattern, _z);

    /// <param name="x">[B, T, D]</param>
    /// <param name="mask">additive [T, T] mask (causal text) or null</param>
    public Tensor Forward(Tensor x, Tensor? mask)
    {
        var (b, t) = (x.shape[0], x.shape[1]);
        // [B, T, D] -> [B, H, T, dh]
        Tensor Split(Tensor y) => y.view(b, t, _heads, _headDim).transpose(1, 2);
        var q = Split(_q.forward(x) * _scale);
        var k = Split(_k.forward(x));
        var v = Split(_v.forward(x));
        var scores = q.matmul(k.transpose(-1, -2));
        // In place without autograd: scores is fresh and unhooked; the sum is the same either way.
        if (mask is not null) scores = is_grad_enabled() ? scores + mask : scores.add_(mask);
        var pattern = _pattern.Apply(scores.softmax(-1));
        var z = _z.Apply(pattern.matmul(v).transpose(1, 2)); // [B, T, H, dh]
        return _out.forward(z.reshape(b, t, _heads * _headDim));
    }
}
