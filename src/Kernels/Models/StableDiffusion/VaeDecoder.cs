using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Models.StableDiffusion;

/// <summary>diffusers' Decoder: conv_in from latent_channels to the deepest width, mid_block, up_blocks.{i} over the
/// widths reversed, conv_norm_out, SiLU, conv_out to out_channels.</summary>
public sealed class VaeDecoder : nn.Module
{
    readonly Conv2d _convIn, _convOut;
    readonly ModuleList<VaeUpBlock> _up;
    readonly VaeMidBlock _mid;
    readonly GroupNorm _normOut;

    public VaeDecoder(AutoencoderKlConfig c) : base("decoder")
    {
        var widths = c.BlockOutChannels.Reverse().ToArray();
        register_module("conv_in", _convIn = nn.Conv2d(c.LatentChannels, widths[0], 3, padding: 1));
        register_module("mid_block", _mid = new VaeMidBlock(widths[0], c.NormNumGroups, c.MidBlockAddAttention));
        register_module("up_blocks", _up = new ModuleList<VaeUpBlock>(Enumerable.Range(0, widths.Length)
            .Select(i => new VaeUpBlock(i == 0 ? widths[0] : widths[i - 1], widths[i], c.LayersPerBlock + 1, c.NormNumGroups, i < widths.Length - 1)).ToArray()));
        register_module("conv_norm_out", _normOut = SdGroupNorm.Create(c.NormNumGroups, widths[^1], VaeResnetBlock.Eps));
        register_module("conv_out", _convOut = nn.Conv2d(widths[^1], c.OutChannels, 3, padding: 1));
    }

    public Tensor Forward(Tensor latent)
    {
        using var scope = NewDisposeScope();
        var h = _mid.Forward(_convIn.forward(latent));
        foreach (var block in _up) h = block.Forward(h);
        return scope.MoveToOuter(_convOut.forward(nn.functional.silu(_normOut.forward(h))));
    }
}
