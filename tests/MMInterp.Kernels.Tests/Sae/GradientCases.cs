using MMInterp.Kernels.Sae;
using Xunit;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Tests.Sae;

/// <summary>The SAEs the gradient-kernel tests compare on: each kind with and without the pre-encoder bias, with
/// non-zero biases and uneven decoder norms so every term of the formulas is exercised.</summary>
public static class GradientCases
{
    /// <summary>Kind, pre-encoder bias, sparsity coefficient.</summary>
    public static TheoryData<SaeKind, bool, double> Cases => new()
    {
        { SaeKind.Relu, true, 0.3 },
        { SaeKind.Relu, false, 0.0 },
        { SaeKind.TopK, true, 0.0 },
        { SaeKind.TopK, false, 0.0 },
    };

    public static SparseAutoencoder PerturbedSae(SaeKind kind, bool preBias, int dIn, int dSae, int k, int seed)
    {
        var sae = SaeFactory.Create(new SaeConfig { Kind = kind, DIn = dIn, DSae = dSae, K = k, PreEncoderBias = preBias, TiedInit = false, Seed = seed });
        using (no_grad())
        {
            sae.b_dec.detach().copy_(randn(dIn, generator: new Generator(1)) * 0.3);
            sae.b_enc.detach().copy_(randn(dSae, generator: new Generator(2)) * 0.1);
            sae.W_dec.detach().mul_(rand(dSae, 1, generator: new Generator(3)) + 0.5);
        }
        return sae;
    }
}
