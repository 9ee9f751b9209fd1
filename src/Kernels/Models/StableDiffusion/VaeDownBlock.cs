using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Models.StableDiffusion;

/// <summary>diffusers' DownEncoderBlock2D: resnets.{j} (the first changes the width), then downsamplers.0 unless it is
/// the last block.</summary>
public sealed class VaeDownBlock : nn.Module
{
    readonly ModuleList<VaeResnetBlock> _resnets;
    readonly VaeDownsample? _down;

    public VaeDownBlock(int inChannels, int outChannels, int layers, int groups, bool downsample) : base("down_block")
    {
        register_module("resnets", _resnets = new ModuleList<VaeResnetBlock>(
            Enumerable.Range(0, layers).Select(j => new VaeResnetBlock(j == 0 ? inChannels : outChannels, outChannels, groups)).ToArray()));
        if (downsample) register_module("downsamplers", new ModuleList<VaeDownsample>(_down = new VaeDownsample(outChannels)));
    }

    public Tensor Forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var h = x;
        foreach (var r in _resnets) h = r.Forward(h);
        if (_down is not null) h = _down.Forward(h);
        return scope.MoveToOuter(h);
    }
}
