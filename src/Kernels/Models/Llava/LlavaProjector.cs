using MMInterp.Kernels.Hooks;
using MMInterp.Kernels.Models.Clip;
using MMInterp.Kernels.Models.Llm;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Models.Llava;

/// <summary>
/// HF LlavaMultiModalProjector: linear_1 (vision features -> text width), projector_hidden_act (GELU for LLaVA-1.5),
/// linear_2 (text -> text). Its output, the image tokens' input embeddings, is hook <c>adapter.hook_out</c>: the name
/// the zoo VLM's adapter output has, so the VLM analyses (causal tracing corrupts it) read both the same way.
/// Weights keep the checkpoint's dtype; computed in float32.
/// </summary>
public sealed class LlavaProjector : nn.Module
{
    public const string OutHook = "adapter.hook_out";

    readonly StoredLinear _linear1, _linear2;
    readonly HookPoint _out;
    readonly string _act;

    public LlavaProjector(LlavaConfig c, HookRegistry hooks, ScalarType dtype, bool initialise) : base("multi_modal_projector")
    {
        _act = c.ProjectorHiddenAct;
        register_module("linear_1", _linear1 = new StoredLinear("linear_1", c.ProjectorInput, c.Text.HiddenSize, c.ProjectorBias, dtype, initialise));
        register_module("linear_2", _linear2 = new StoredLinear("linear_2", c.Text.HiddenSize, c.Text.HiddenSize, c.ProjectorBias, dtype, initialise));
        _out = hooks.Register(OutHook);
    }

    /// <param name="features">[B, N, Dv * layers] float32</param><returns>[B, N, D] float32</returns>
    public Tensor Forward(Tensor features)
    {
        using var scope = NewDisposeScope();
        var x = Clip.Activations.Apply(_act, _linear1.Forward(features));
        return scope.MoveToOuter(_out.Apply(_linear2.Forward(x)));
    }
}
