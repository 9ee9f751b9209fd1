using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Models.StableDiffusion;

/// <summary>diffusers' UNetMidBlock2D as the VAE uses it: resnets.0, attentions.0 (unless mid_block_add_attention is
/// false), resnets.1, all at the deepest width.</summary>
public sealed class VaeMidBlock : nn.Module
{
    readonly VaeResnetBlock _first, _second;
    readonly VaeAttention? _attention;

    public VaeMidBlock(int channels, int groups, bool attention) : base("mid_block")
    {
        register_module("resnets", new ModuleList<VaeResnetBlock>(
            _first = new VaeResnetBlock(channels, channels, groups), _second = new VaeResnetBlock(channels, channels, groups)));
        if (attention) register_module("attentions", new ModuleList<VaeAttention>(_attention = new VaeAttention(channels, groups)));
    }

    public Tensor Forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var h = _first.Forward(x);
        if (_attention is not null) h = _attention.Forward(h);
        return scope.MoveToOuter(_second.Forward(h));
    }
}
