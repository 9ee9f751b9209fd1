using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Models.StableDiffusion;

/// <summary>diffusers' Encoder (double_z): conv_in, down_blocks.{i}, mid_block, conv_norm_out, SiLU, conv_out to
/// 2 x latent_channels (the mean and log-variance halves).</summary>
public sealed class VaeEncoder : nn.Module
{
    readonly Conv2d _convIn, _convOut;
    readonly ModuleList<VaeDownBlock> _down;
    readonly VaeMidBlock _mid;
    readonly GroupNorm _normOut;

    public VaeEncoder(AutoencoderKlConfig c) : base("encoder")
    {
        var widths = c.BlockOutChannels;
        register_module("conv_in", _convIn = nn.Conv2d(c.InChannels, widths[0], 3, padding: 1));
        register_module("down_blocks", _down = new ModuleList<VaeDownBlock>(Enumerable.Range(0, widths.Count)
            .Select(i => new VaeDownBlock(i == 0 ? widths[0] : widths[i - 1], widths[i], c.LayersPerBlock, c.NormNumGroups, i < widths.Count - 1)).ToArray()));
        register_module("mid_block", _mid = new VaeMidBlock(widths[^1], c.NormNumGroups, c.MidBlockAddAttention));
        register_module("conv_norm_out", _normOut = SdGroupNorm.Create(c.NormNumGroups, widths[^1], VaeResnetBlock.Eps));
        register_module("conv_out", _convOut = nn.Conv2d(widths[^1], 2 * c.LatentChannels, 3, padding: 1));
    }

    public Tensor Forward(Tensor image)
    {
        using var scope = NewDisposeScope();
        var h = _convIn.forward(image);
        foreach (var block in _down) h = block.Forward(h);
        h = _mid.Forward(h);
        return scope.MoveToOuter(_convOut.forward(nn.functional.silu(_normOut.forward(h))));
    }
}
