using MMInterp.Kernels.Hooks;
using TorchSharp;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Models.Llm;

/// <summary>HF LlamaMLP: down_proj(silu(gate_proj(x)) * up_proj(x)); hook_post is the product, [B, T, intermediate].</summary>
public sealed class LlamaMlp : nn.Module
{
    readonly StoredLinear _gate, _up, _down;
    readonly HookPoint _post;

    public LlamaMlp(LlamaConfig c, HookRegistry hooks, string prefix, ScalarType dtype, bool initialise) : base("mlp")
    {
        register_module("gate_proj", _gate = new StoredLinear("gate_proj", c.HiddenSize, c.IntermediateSize, c.MlpBias, dtype, initialise));
        register_module("up_proj", _up = new StoredLinear("up_proj", c.HiddenSize, c.IntermediateSize, c.MlpBias, dtype, initialise));
        register_module("down_proj", _down = new StoredLinear("down_proj", c.IntermediateSize, c.HiddenSize, c.MlpBias, dtype, initialise));
        _post = hooks.Register($"{prefix}.hook_post");
    }

    internal bool Hooked => Clip.ForwardScope.AnyHooked(_post);

    public Tensor Forward(Tensor x)
    {
        var gated = nn.functional.silu(_gate.Forward(x));
        var up = _up.Forward(x);
        return _down.Forward(_post.Apply(is_grad_enabled() ? gated * up : gated.mul_(up)));
    }
}
