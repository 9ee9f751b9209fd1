using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Models.StableDiffusion;

/// <summary>
/// The VAE's mid-block self-attention, diffusers' Attention with one head over all channels: group_norm, then every
/// pixel attends to every pixel through linear to_q/to_k/to_v (scale 1/sqrt(channels)) and to_out.0, plus the input.
/// CompVis's AttnBlock is the same with 1x1 convolutions (q, k, v, proj_out); older diffusers files name the linears
/// query/key/value/proj_attn (<see cref="VaeAttentionNames"/> maps them on load).
/// </summary>
public sealed class VaeAttention : nn.Module
{
    readonly GroupNorm _norm;
    readonly Linear _q, _k, _v, _out;
    readonly Scalar _scale;

    public VaeAttention(int channels, int groups) : base("attention")
    {
        register_module("group_norm", _norm = SdGroupNorm.Create(groups, channels, VaeResnetBlock.Eps));
        register_module("to_q", _q = nn.Linear(channels, channels));
        register_module("to_k", _k = nn.Linear(channels, channels));
        register_module("to_v", _v = nn.Linear(channels, channels));
        register_module("to_out", new ModuleList<Linear>(_out = nn.Linear(channels, channels)));
        _scale = (1.0 / Math.Sqrt(channels)).ToScalar();
    }

    public Tensor Forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var (b, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3]);
        var tokens = _norm.forward(x).reshape(b, c, h * w).transpose(1, 2); // [B, HW, C]
        var q = _q.forward(tokens);
        var k = _k.forward(tokens);
        var v = _v.forward(tokens);
        var pattern = q.matmul(k.transpose(1, 2)).mul_(_scale).softmax(-1);
        var mixed = _out.forward(pattern.matmul(v)).transpose(1, 2).reshape(b, c, h, w);
        return scope.MoveToOuter(mixed.add_(x));
    }
}
