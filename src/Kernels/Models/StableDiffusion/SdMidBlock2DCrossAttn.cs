using MMInterp.Kernels.Hooks;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Models.StableDiffusion;

/// <summary>diffusers' UNetMidBlock2DCrossAttn at the deepest width: resnets.0 -> attentions.0 -> resnets.1, the
/// attention with the last level's head count and transformer depth. unet.mid.hook_out sees the output.</summary>
public sealed class SdMidBlock2DCrossAttn : nn.Module
{
    readonly ModuleList<ResnetBlock2D> _resnets;
    readonly ModuleList<Transformer2DModel> _attentions;
    readonly HookPoint _out;

    public SdMidBlock2DCrossAttn(UNetConfig c, HookRegistry hooks, string prefix) : base("mid")
    {
        var width = c.BlockOutChannels[^1];
        var first = new ResnetBlock2D(width, width, c.TimeEmbedDim, c.NormNumGroups, c.NormEps, hooks.Register($"{prefix}.resnet.0.hook_out"));
        var attention = Transformer2DModel.AtLevel(c, c.Levels - 1, hooks, $"{prefix}.attn.0");
        var second = new ResnetBlock2D(width, width, c.TimeEmbedDim, c.NormNumGroups, c.NormEps, hooks.Register($"{prefix}.resnet.1.hook_out"));
        register_module("attentions", _attentions = nn.ModuleList(attention));
        register_module("resnets", _resnets = nn.ModuleList(first, second));
        _out = hooks.Register($"{prefix}.hook_out");
    }

    public Transformer2DModel Attention => _attentions[0];

    public Tensor Forward(Tensor x, Tensor timeEmbedding, Tensor context)
    {
        x = _resnets[0].Forward(x, timeEmbedding);
        x = _attentions[0].Forward(x, context);
        x = _resnets[1].Forward(x, timeEmbedding);
        return _out.Apply(x);
    }
}
