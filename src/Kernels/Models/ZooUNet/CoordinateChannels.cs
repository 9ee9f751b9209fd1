using MMInterp.Kernels.Models.StableDiffusion;
using MMInterp.Kernels.Tensors;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Models.ZooUNet;

/// <summary>Absolute position for a convolutional denoiser: two input channels after the image holding each pixel's
/// column and row in [-1, 1] (CoordConv). Without them the zoo U-Net drew the named object at a random one of the five
/// places (position at chance on 3 seeds): convolutions and token attention see position only through the padding.
/// The convention lives in the U-Net's config, as diffusers' inpainting U-Nets keep their mask channels there:
/// in_channels = out_channels + 2.</summary>
public static class CoordinateChannels
{
    public const int Count = 2;

    public static bool Expected(UNetConfig unet) => unet.InChannels == unet.OutChannels + Count;

    /// <summary>The U-Net's input for an image x [B, C, H, W]: x itself, or x followed by the column and row channels.</summary>
    public static Tensor Input(UNetConfig unet, Tensor x)
    {
        if (!Expected(unet)) return x;
        using var scope = NewDisposeScope();
        var (b, h, w) = (x.shape[0], x.shape[2], x.shape[3]);
        var columns = linspace(-1, 1, w, dtype: x.dtype, device: x.device).view(1, 1, 1, w).expand(b, 1, h, w);
        var rows = linspace(-1, 1, h, dtype: x.dtype, device: x.device).view(1, 1, h, 1).expand(b, 1, h, w);
        return cat([x, columns, rows], 1).MoveToOuterDisposeScope();
    }
}
