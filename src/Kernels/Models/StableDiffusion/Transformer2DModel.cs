using MMInterp.Kernels.Hooks;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Models.StableDiffusion;

/// <summary>diffusers' Transformer2DModel as the SD U-Net uses it (the reference's SpatialTransformer): GroupNorm
/// (eps 1e-6) -> proj_in (1x1 conv before flattening, or Linear after it with use_linear_projection) -> tokens
/// [B, H*W, C] through transformer_blocks -> proj_out -> back to [B, C, H, W], plus the input. Hooks:
/// {prefix}.blocks.{k}.* and {prefix}.hook_out (the output, residual included).</summary>
public sealed class Transformer2DModel : nn.Module
{
    readonly GroupNorm _norm;
    readonly nn.Module<Tensor, Tensor> _projIn, _projOut;
    readonly ModuleList<UNetTransformerBlock> _blocks;
    readonly bool _linear;
    readonly HookPoint _out;

    /// <summary>The attention of U-Net level <paramref name="level"/> (the mid block's is the last level's): that
    /// level's width, heads and transformer layers, the config's context width, projection kind and groups.</summary>
    public static Transformer2DModel AtLevel(UNetConfig c, int level, HookRegistry hooks, string prefix) =>
        new(c.BlockOutChannels[level], c.HeadCounts[level], c.TransformerLayersPerBlock[level], c.CrossAttentionDim,
            c.UseLinearProjection, c.NormNumGroups, hooks, prefix);

    public Transformer2DModel(int channels, int heads, int layers, int contextDim, bool linearProjection, int groups,
        HookRegistry hooks, string prefix) : base("attention")
    {
        _linear = linearProjection;
        register_module("norm", _norm = SdGroupNorm.Create(groups, channels, 1e-6));
        _projIn = linearProjection ? nn.Linear(channels, channels) : nn.Conv2d(channels, channels, 1);
        register_module("proj_in", _projIn);
        _blocks = nn.ModuleList(Enumerable.Range(0, layers)
            .Select(k => new UNetTransformerBlock(channels, contextDim, heads, hooks, $"{prefix}.blocks.{k}")).ToArray());
        register_module("transformer_blocks", _blocks);
        _projOut = linearProjection ? nn.Linear(channels, channels) : nn.Conv2d(channels, channels, 1);
        register_module("proj_out", _projOut);
        _out = hooks.Register($"{prefix}.hook_out");
    }

    public int Layers => _blocks.Count;
    public UNetTransformerBlock Block(int k) => _blocks[k];

    /// <param name="x">[B, C, H, W]</param>
    /// <param name="context">[B, S, D] text states</param>
    public Tensor Forward(Tensor x, Tensor context)
    {
        using var scope = NewDisposeScope(); // its intermediates go when it returns (as in ResnetBlock2D)
        var (b, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3]);
        var t = _norm.forward(x).permute(0, 2, 3, 1).reshape(b, h * w, c);
        t = Project(_projIn, t);
        foreach (var block in _blocks) t = block.Forward(t, context);
        t = Project(_projOut, t);
        // Back to [B, C, H, W] with plain strides: flatten copies the transposed tokens (or, for one token, views a
        // buffer already in that order), view names the shape. A permuted view instead hands channels-last strides
        // (or, at 1x1, strides that read as both formats) to the next GroupNorm and convolution; at SD 1.5's widths
        // that moved the output far from the reference (bench/RESULTS.md, "Stable Diffusion U-Net at SD 1.5 widths").
        var image = t.transpose(1, 2).flatten().view(b, c, h, w);
        return _out.Apply(image + x).MoveToOuterDisposeScope();
    }

    // A 1x1 convolution is a Linear over tokens: one path for both projection kinds.
    Tensor Project(nn.Module<Tensor, Tensor> projection, Tensor tokens) => projection is Conv2d conv
        ? nn.functional.linear(tokens, conv.weight!.flatten(1), conv.bias)
        : projection.forward(tokens);
}
