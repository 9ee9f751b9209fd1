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

    public static Tensor Apply(string name, Tensor x) => name switch
    {
        // CLIP's own approximation: x * sigmoid(1.702 x).
        "quick_gelu" => x * sigmoid(x * 1.702),
        "gelu" => nn.functional.gelu(x),
        _ => 0.5 * x * (1.0 + tanh(Math.Sqrt(2.0 / Math.PI) * (x + 0.044715 * x.pow(3)))),
    };
}
