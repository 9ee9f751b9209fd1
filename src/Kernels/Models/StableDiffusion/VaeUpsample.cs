using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Models.StableDiffusion;

/// <summary>diffusers' Upsample2D as the VAE decoder uses it: nearest-neighbour 2x, then a 3x3 convolution.</summary>
public sealed class VaeUpsample : nn.Module
{
    static readonly double[] Twice = [2.0, 2.0];
    readonly Conv2d _conv;

    public VaeUpsample(int channels) : base("upsample")
    {
        register_module("conv", _conv = nn.Conv2d(channels, channels, 3, padding: 1));
    }

    public Tensor Forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var up = nn.functional.interpolate(x, scale_factor: Twice, mode: InterpolationMode.Nearest);
        return scope.MoveToOuter(_conv.forward(up));
    }
}
