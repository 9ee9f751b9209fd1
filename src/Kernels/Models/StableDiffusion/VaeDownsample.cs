using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Models.StableDiffusion;

/// <summary>diffusers' Downsample2D as the VAE encoder uses it: zero padding on the right and bottom only (0, 1, 0, 1),
/// then a 3x3 convolution of stride 2 without padding; CompVis's Downsample does the same (torch has no asymmetric
/// padding in its conv).</summary>
public sealed class VaeDownsample : nn.Module
{
    static readonly long[] Pad = [0, 1, 0, 1];
    readonly Conv2d _conv;

    public VaeDownsample(int channels) : base("downsample")
    {
        register_module("conv", _conv = nn.Conv2d(channels, channels, 3, stride: 2));
    }

    public Tensor Forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        return scope.MoveToOuter(_conv.forward(nn.functional.pad(x, Pad)));
    }
}
