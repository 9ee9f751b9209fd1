using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Models.StableDiffusion;

/// <summary>
/// diffusers' ResnetBlock2D as the VAE uses it (no time embedding, eps 1e-6, output scale 1): x + conv2(silu(norm2(
/// conv1(silu(norm1(x)))))), the skip through a 1x1 conv_shortcut when the width changes.
/// </summary>
public sealed class VaeResnetBlock : nn.Module
{
    public const double Eps = 1e-6;
    readonly GroupNorm _norm1, _norm2;
    readonly Conv2d _conv1, _conv2;
    readonly Conv2d? _shortcut;

    public VaeResnetBlock(int inChannels, int outChannels, int groups) : base("resnet")
    {
        register_module("norm1", _norm1 = SdGroupNorm.Create(groups, inChannels, Eps));
        register_module("conv1", _conv1 = nn.Conv2d(inChannels, outChannels, 3, padding: 1));
        register_module("norm2", _norm2 = SdGroupNorm.Create(groups, outChannels, Eps));
        register_module("conv2", _conv2 = nn.Conv2d(outChannels, outChannels, 3, padding: 1));
        if (inChannels != outChannels) register_module("conv_shortcut", _shortcut = nn.Conv2d(inChannels, outChannels, 1));
    }

    public Tensor Forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var h = _conv1.forward(nn.functional.silu(_norm1.forward(x)));
        h = _conv2.forward(nn.functional.silu(_norm2.forward(h)));
        var skip = _shortcut is null ? x : _shortcut.forward(x);
        return scope.MoveToOuter(skip + h);
    }
}
