using MMInterp.Kernels.Hooks;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Models.StableDiffusion;

/// <summary>One up level: diffusers' CrossAttnUpBlock2D or UpBlock2D. layers_per_block + 1 resnets, each taking the
/// running features concatenated (channels) with the newest unused skip connection, each followed by its attention
/// in a cross-attention block; then upsamplers.0 unless it is the last block. unet.up.{i}.hook_out sees the output.</summary>
public sealed class SdUpBlock2D : nn.Module
{
    readonly ModuleList<ResnetBlock2D> _resnets;
    readonly ModuleList<Transformer2DModel>? _attentions;
    readonly UNetUpsample2D? _upsampler;
    readonly HookPoint _out;

    /// <param name="block">up block index (0 = deepest level)</param>
    /// <param name="previousChannels">width of the features arriving from below</param>
    public SdUpBlock2D(UNetConfig c, int block, int previousChannels, HookRegistry hooks, string prefix) : base("up")
    {
        var level = c.Levels - 1 - block;
        var width = c.BlockOutChannels[level];
        // The skips this block consumes, newest first: its own level's layers, then the level above's output.
        var skipInput = c.BlockOutChannels[Math.Max(level - 1, 0)];
        var layers = c.LayersPerBlock + 1;
        var resnets = new List<ResnetBlock2D>();
        var attentions = new List<Transformer2DModel>();
        for (var j = 0; j < layers; j++)
        {
            var skip = j == layers - 1 ? skipInput : width;
            var input = j == 0 ? previousChannels : width;
            resnets.Add(new ResnetBlock2D(input + skip, width, c.TimeEmbedDim, c.NormNumGroups, c.NormEps,
                hooks.Register($"{prefix}.resnet.{j}.hook_out")));
            if (c.UpHasAttention(block))
                attentions.Add(Transformer2DModel.AtLevel(c, level, hooks, $"{prefix}.attn.{j}"));
        }
        register_module("resnets", _resnets = nn.ModuleList(resnets.ToArray()));
        if (attentions.Count > 0) register_module("attentions", _attentions = nn.ModuleList(attentions.ToArray()));
        if (block < c.Levels - 1)
        {
            _upsampler = new UNetUpsample2D(width);
            register_module("upsamplers", nn.ModuleList(_upsampler));
        }
        _out = hooks.Register($"{prefix}.hook_out");
    }

    public int Layers => _resnets.Count;
    public Transformer2DModel? Attention(int j) => _attentions?[j];

    /// <summary>Runs the level, taking its skip connections from the end of <paramref name="skips"/>.</summary>
    public Tensor Forward(Tensor x, Tensor timeEmbedding, Tensor context, List<Tensor> skips)
    {
        for (var j = 0; j < _resnets.Count; j++)
        {
            var skip = skips[^1];
            skips.RemoveAt(skips.Count - 1);
            x = _resnets[j].Forward(cat([x, skip], 1), timeEmbedding);
            if (_attentions is not null) x = _attentions[j].Forward(x, context);
        }
        if (_upsampler is not null) x = _upsampler.Forward(x);
        return _out.Apply(x);
    }
}
