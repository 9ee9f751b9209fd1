using MMInterp.Kernels.Hooks;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Models.Diffusion;

/// <summary>A DiT block with adaLN-zero: the timestep (+ pooled text) vector sets shift, scale and gate of the
/// self-attention and MLP branches; a cross-attention branch to the text tokens sits between them.</summary>
public sealed class DitBlock : nn.Module
{
    readonly LayerNorm _ln1, _ln2, _lnCross;
    readonly DenoiserAttention _attn, _cross;
    readonly Linear _fc1, _fc2, _modulation;
    readonly HookPoint _mlpPost, _residPost;
    readonly Scalar _one;

    public DitBlock(DitConfig c, HookRegistry hooks, int index) : base("block")
    {
        var prefix = $"denoiser.blocks.{index}";
        var w = c.Width;
        _one = 1.0.ToScalar();
        register_module("ln1", _ln1 = nn.LayerNorm(w, elementwise_affine: false, eps: 1e-6));
        register_module("attn", _attn = new DenoiserAttention(w, w, c.Heads, hooks, $"{prefix}.attn"));
        register_module("ln_cross", _lnCross = nn.LayerNorm(w, eps: 1e-6));
        register_module("cross_attn", _cross = new DenoiserAttention(w, w, c.Heads, hooks, $"{prefix}.cross_attn"));
        register_module("ln2", _ln2 = nn.LayerNorm(w, elementwise_affine: false, eps: 1e-6));
        register_module("fc1", _fc1 = nn.Linear(w, w * c.MlpRatio));
        register_module("fc2", _fc2 = nn.Linear(w * c.MlpRatio, w));
        register_module("modulation", _modulation = nn.Linear(w, 6 * w));
        _mlpPost = hooks.Register($"{prefix}.mlp.hook_post");
        _residPost = hooks.Register($"{prefix}.hook_resid_post");
        // adaLN-zero: every block starts as the identity.
        using (no_grad())
        {
            _modulation.weight!.zero_();
            _modulation.bias!.zero_();
        }
    }

    public DenoiserAttention Attention => _attn;
    public DenoiserAttention CrossAttention => _cross;

    /// <param name="x">[B, T, W] image tokens</param>
    /// <param name="c">[B, W] conditioning vector (SiLU already applied)</param>
    /// <param name="text">[B, S, W] projected text states</param>
    public Tensor Forward(Tensor x, Tensor c, Tensor text)
    {
        var m = _modulation.forward(c).unsqueeze(1).chunk(6, -1);
        var h = _ln1.forward(x) * (m[1] + _one) + m[0];
        x = x + m[2] * _attn.Forward(h, h);
        x = x + _cross.Forward(_lnCross.forward(x), text);
        h = _ln2.forward(x) * (m[4] + _one) + m[3];
        x = x + m[5] * _fc2.forward(_mlpPost.Apply(nn.functional.gelu(_fc1.forward(h))));
        return _residPost.Apply(x);
    }
}
