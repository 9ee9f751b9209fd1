using MMInterp.Kernels.Hooks;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Models.StableDiffusion;

/// <summary>diffusers' FeedForward with GEGLU: net.0.proj (dim -> 2 x inner; first half the value, second the gate),
/// value x GELU(gate), net.2 (inner -> dim). Index 1 is dropout, which has no weights.</summary>
public sealed class UNetFeedForward : nn.Module
{
    readonly Linear _proj, _out;
    readonly HookPoint _post;

    public UNetFeedForward(int dim, HookPoint post) : base("ff")
    {
        var inner = 4 * dim;
        var net = new FeedForwardNet();
        net.Add("0", new Geglu(_proj = nn.Linear(dim, 2 * inner)));
        net.Add("2", _out = nn.Linear(inner, dim));
        register_module("net", net);
        _post = post;
    }

    public Tensor Forward(Tensor x)
    {
        var parts = _proj.forward(x).chunk(2, -1);
        return _out.forward(_post.Apply(parts[0] * nn.functional.gelu(parts[1])));
    }

    sealed class FeedForwardNet() : nn.Module("net")
    {
        public void Add(string name, nn.Module module) => register_module(name, module);
    }

    sealed class Geglu : nn.Module
    {
        public Geglu(Linear proj) : base("geglu") => register_module("proj", proj);
    }
}
