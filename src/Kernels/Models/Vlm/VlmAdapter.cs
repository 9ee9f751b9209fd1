using MMInterp.Kernels.Hooks;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Models.Vlm;

/// <summary>Maps vision-tower patch states into the LM's embedding space: one Linear, or Linear-GELU-Linear, then a
/// LayerNorm. The norm keeps image tokens at unit scale: raw ViT states measured std ~3, which drowned the LM's position
/// embeddings (so "where is ...?" stayed at chance). Its output is the image tokens' LM embeddings (hook <c>adapter.hook_out</c>), the point causal tracing corrupts.</summary>
public sealed class VlmAdapter : nn.Module
{
    readonly Linear _fc1;
    readonly Linear? _fc2;
    readonly LayerNorm _norm;
    readonly HookPoint _out;

    public VlmAdapter(VlmConfig c, HookRegistry hooks) : base("adapter")
    {
        var (dv, dl) = (c.Vision.Tower.HiddenSize, c.Lm.HiddenSize);
        register_module("fc1", _fc1 = nn.Linear(dv, dl));
        if (c.Adapter == "mlp") register_module("fc2", _fc2 = nn.Linear(dl, dl));
        register_module("norm", _norm = nn.LayerNorm(dl, c.Lm.LayerNormEps));
        _out = hooks.Register("adapter.hook_out");
    }

    /// <param name="patches">[B, P, Dv]</param><returns>[B, P, Dl]</returns>
    public Tensor Forward(Tensor patches)
    {
        var x = _fc1.forward(patches);
        if (_fc2 is not null) x = _fc2.forward(nn.functional.gelu(x));
        return _out.Apply(_norm.forward(x));
    }
}
