using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Models.Llm;

/// <summary>HF LlamaRMSNorm: x / sqrt(mean(x^2) + eps) * weight, computed in float32.</summary>
public sealed class RmsNorm : nn.Module
{
    readonly Parameter _weight;
    // A field, not a temporary, so the GC cannot finalise it during the native call (see Clip.Activations).
    readonly Scalar _eps;

    public RmsNorm(string name, int size, double eps, ScalarType dtype, bool initialise) : base(name)
    {
        _weight = LlmParameters.Create([size], dtype);
        register_parameter("weight", _weight);
        _eps = eps.ToScalar();
        if (!initialise) return;
        using var _ = no_grad();
        using var one = 1.0.ToScalar();
        _weight.fill_(one);
    }

    public Tensor Forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var normalised = x * x.mul(x).mean([-1], keepdim: true).add(_eps).rsqrt();
        return scope.MoveToOuter(normalised * (_weight.dtype == x.dtype ? _weight : _weight.to(x.dtype)));
    }
}
