using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Models.StableDiffusion;

/// <summary>diffusers' UpDecoderBlock2D: layers_per_block + 1 resnets (the first changes the width), then
/// upsamplers.0 unless it is the last block. diffusers counts up blocks from the lowest resolution (CompVis's
/// decoder.up is indexed by level, the other way round).</summary>
public sealed class VaeUpBlock : nn.Module
{
    readonly ModuleList<VaeResnetBlock> _resnets;
    readonly VaeUpsample? _up;

    public VaeUpBlock(int inChannels, int outChannels, int layers, int groups, bool upsample) : base("up_block")
    {
        register_module("resnets", _resnets = new ModuleList<VaeResnetBlock>(
            Enumerable.Range(0, layers).Select(j => new VaeResnetBlock(j == 0 ? inChannels : outChannels, outChannels, groups)).ToArray()));
        if (upsample) register_module("upsamplers", new ModuleList<VaeUpsample>(_up = new VaeUpsample(outChannels)));
    }

    public Tensor Forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var h = x;
        foreach (var r in _resnets) h = r.Forward(h);
        if (_up is not null) h = _up.Forward(h);
        return scope.MoveToOuter(h);
    }
}
