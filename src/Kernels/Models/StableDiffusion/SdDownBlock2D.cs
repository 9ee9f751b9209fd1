using MMInterp.Kernels.Hooks;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Models.StableDiffusion;

/// <summary>One down level: diffusers' CrossAttnDownBlock2D (resnets.{j} each followed by attentions.{j}) or
/// DownBlock2D (resnets only), then downsamplers.0 unless it is the last level. Every layer's output is a skip
/// connection for the up path; the last one is the block's output, which unet.down.{i}.hook_out sees before it is
/// stored and passed on.</summary>
public sealed class SdDownBlock2D : nn.Module
{
    readonly ModuleList<ResnetBlock2D> _resnets;
    readonly ModuleList<Transformer2DModel>? _attentions;
    readonly UNetDownsample2D? _downsampler;
    readonly HookPoint _out;

    public SdDownBlock2D(UNetConfig c, int level, int inChannels, HookRegistry hooks, string prefix) : base("down")
    {
        var width = c.BlockOutChannels[level];
        var resnets = new List<ResnetBlock2D>();
        var attentions = new List<Transformer2DModel>();
        for (var j = 0; j < c.LayersPerBlock; j++)
        {
            resnets.Add(new ResnetBlock2D(j == 0 ? inChannels : width, width, c.TimeEmbedDim, c.NormNumGroups, c.NormEps,
                hooks.Register($"{prefix}.resnet.{j}.hook_out")));
            if (c.DownHasAttention(level))
                attentions.Add(Transformer2DModel.AtLevel(c, level, hooks, $"{prefix}.attn.{j}"));
        }
        register_module("resnets", _resnets = nn.ModuleList(resnets.ToArray()));
        if (attentions.Count > 0) register_module("attentions", _attentions = nn.ModuleList(attentions.ToArray()));
        if (level < c.Levels - 1)
        {
            _downsampler = new UNetDownsample2D(width);
            register_module("downsamplers", nn.ModuleList(_downsampler));
        }
        _out = hooks.Register($"{prefix}.hook_out");
    }

    public int Layers => _resnets.Count;
    public Transformer2DModel? Attention(int j) => _attentions?[j];

    /// <summary>Runs the level, appending its skip connections to <paramref name="skips"/>; returns its output.</summary>
    public Tensor Forward(Tensor x, Tensor timeEmbedding, Tensor context, List<Tensor> skips)
    {
        for (var j = 0; j < _resnets.Count; j++)
        {
            x = _resnets[j].Forward(x, timeEmbedding);
            if (_attentions is not null) x = _attentions[j].Forward(x, context);
            if (j < _resnets.Count - 1 || _downsampler is not null) skips.Add(x);
        }
        if (_downsampler is not null) x = _downsampler.Forward(x);
        x = _out.Apply(x);
        skips.Add(x);
        return x;
    }
}
