using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Models.StableDiffusion;

/// <summary>diffusers' Downsample2D with a convolution: a 3x3 conv of stride 2, padding 1 (downsample_padding 1).</summary>
public sealed class UNetDownsample2D : nn.Module
{
    readonly Conv2d _conv;

    public UNetDownsample2D(int channels) : base("downsample") =>
        register_module("conv", _conv = nn.Conv2d(channels, channels, 3, stride: 2, padding: 1));

    public Tensor Forward(Tensor x) => _conv.forward(x);
}

/// <summary>diffusers' Upsample2D with a convolution: nearest-neighbour x2, then a 3x3 conv.</summary>
public sealed class UNetUpsample2D : nn.Module
{
    readonly Conv2d _conv;

    public UNetUpsample2D(int channels) : base("upsample") =>
        register_module("conv", _conv = nn.Conv2d(channels, channels, 3, padding: 1));

    public Tensor Forward(Tensor x) =>
        _conv.forward(nn.functional.interpolate(x, scale_factor: [2.0, 2.0], mode: InterpolationMode.Nearest));
}
