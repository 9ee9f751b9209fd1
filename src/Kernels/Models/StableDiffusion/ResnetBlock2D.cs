using MMInterp.Kernels.Hooks;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Models.StableDiffusion;

/// <summary>diffusers' ResnetBlock2D ("default" time-embedding mode): norm1 -> SiLU -> conv1 (+ time_emb_proj of the
/// SiLU'd time embedding, when the block has one) -> norm2 -> SiLU -> conv2, plus the input through conv_shortcut (1x1)
/// when the width changes. Without a time embedding it is the VAE's block. An optional hook sees the output.</summary>
public sealed class ResnetBlock2D : nn.Module
{
    readonly GroupNorm _norm1, _norm2;
    readonly Conv2d _conv1, _conv2;
    readonly Linear? _timeProj;
    readonly Conv2d? _shortcut;
    readonly HookPoint? _out;

    public ResnetBlock2D(int inChannels, int outChannels, int? timeEmbedDim, int groups, double eps, HookPoint? output = null)
        : base("resnet")
    {
        register_module("norm1", _norm1 = SdGroupNorm.Create(groups, inChannels, eps));
        register_module("conv1", _conv1 = nn.Conv2d(inChannels, outChannels, 3, padding: 1));
        if (timeEmbedDim is int t) register_module("time_emb_proj", _timeProj = nn.Linear(t, outChannels));
        register_module("norm2", _norm2 = SdGroupNorm.Create(groups, outChannels, eps));
        register_module("conv2", _conv2 = nn.Conv2d(outChannels, outChannels, 3, padding: 1));
        if (inChannels != outChannels) register_module("conv_shortcut", _shortcut = nn.Conv2d(inChannels, outChannels, 1));
        _out = output;
    }

    /// <param name="x">[B, C, H, W]</param>
    /// <param name="timeEmbedding">[B, E] before SiLU; required when the block has time_emb_proj, else ignored</param>
    public Tensor Forward(Tensor x, Tensor? timeEmbedding)
    {
        // Its own scope: the block's intermediates go when it returns, not at the end of the whole U-Net forward
        // (there they were all alive at once: ~2x PyTorch's peak at SD 1.5's widths, bench/RESULTS.md).
        using var scope = NewDisposeScope();
        var h = _conv1.forward(nn.functional.silu(_norm1.forward(x)));
        if (_timeProj is not null)
        {
            var t = timeEmbedding ?? throw new ArgumentException("this ResnetBlock2D has time_emb_proj and needs a time embedding");
            h = h + _timeProj.forward(nn.functional.silu(t)).unsqueeze(-1).unsqueeze(-1);
        }
        h = _conv2.forward(nn.functional.silu(_norm2.forward(h)));
        var output = (_shortcut?.forward(x) ?? x) + h;
        return (_out?.Apply(output) ?? output).MoveToOuterDisposeScope();
    }
}
