using TorchSharp;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Models.Clip;

/// <summary>The MLP activations HF CLIP configs name.</summary>
public static class Activations
{
    public static void Check(string name, string field)
    {
        if (name is not ("quick_gelu" or "gelu" or "gelu_new" or "gelu_pytorch_tanh"))
            throw new ArgumentException($"{field} '{name}' is not supported: expected quick_gelu, gelu, gelu_new or gelu_pytorch_tanh", field);
    }

    // Scalars held for the process lifetime: a temporary Scalar can be finalised by the GC while libtorch still reads
    // it (seen as sporadic "Unknown scalar type" failures in long runs with TorchSharp 0.107).
    static readonly Scalar QuickGeluSlope = 1.702.ToScalar();
    static readonly Scalar Half = 0.5.ToScalar(), One = 1.0.ToScalar(), Cubic = 0.044715.ToScalar(), TanhScale = Math.Sqrt(2.0 / Math.PI).ToScalar();

    public static Tensor Apply(string name, Tensor x) => name switch
    {
        // CLIP's own approximation: x * sigmoid(1.702 x).
        "quick_gelu" => is_grad_enabled() ? x * sigmoid(x * QuickGeluSlope) : QuickGeluNoGrad(x),
        "gelu" => nn.functional.gelu(x),
        _ => x * Half * (tanh((x + x * x * x * Cubic) * TanhScale) + One),
    };

    // Two [.., intermediate] buffers instead of four: the same kernels in place, and sigmoid(kx) * x == x * sigmoid(kx)
    // exactly (float multiplication commutes). In place breaks autograd, so only without it.
    static Tensor QuickGeluNoGrad(Tensor x)
    {
        var y = x.mul(QuickGeluSlope);
        y.sigmoid_();
        return y.mul_(x);
    }
}
