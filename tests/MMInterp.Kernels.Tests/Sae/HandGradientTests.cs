using MMInterp.Kernels.Sae;
using MMInterp.Kernels.Sae.Training;
using Xunit;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Tests.Sae;

/// <summary>The hand-written gradient kernels agree with libtorch autograd on the same loss.</summary>
public class HandGradientTests
{
    public static TheoryData<SaeKind, bool, double> Cases => new()
    {
        { SaeKind.Relu, true, 0.3 },
        { SaeKind.Relu, false, 0.0 },
        { SaeKind.TopK, true, 0.0 },
        { SaeKind.TopK, false, 0.0 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void HandGradientsMatchAutograd(SaeKind kind, bool preBias, double lambda)
    {
        using var scope = NewDisposeScope();
        using var sae = SaeFactory.Create(new SaeConfig { Kind = kind, DIn = 24, DSae = 80, K = 6, PreEncoderBias = preBias, TiedInit = false, Seed = 9 });
        using (no_grad())
        {
            // Non-zero biases and uneven decoder norms exercise every term of the formulas.
            sae.b_dec.detach().copy_(randn(24, generator: new Generator(1)) * 0.3);
            sae.b_enc.detach().copy_(randn(80, generator: new Generator(2)) * 0.1);
            sae.W_dec.detach().mul_(rand(80, 1, generator: new Generator(3)) + 0.5);
        }
        var x = randn(new long[] { 64, 24 }, generator: new Generator(4));
        var opts = new SaeLossOptions(lambda);
        Dictionary<string, Tensor> NewGrads() => sae.Parameters.ToDictionary(p => p.Name, p => zeros_like(p.Param).detach());
        var hand = NewGrads(); var auto = NewGrads();
        var fireHand = zeros(80); var fireAuto = zeros(80);
        IGradientKernel kernel = kind == SaeKind.Relu ? new ReluGradientKernel() : new TopKGradientKernel();
        var rh = kernel.Compute(sae, x, opts, hand, fireHand);
        var ra = new AutogradKernel().Compute(sae, x, opts, auto, fireAuto);

        Assert.Equal(ra.Mse, rh.Mse, 4);
        Assert.Equal(ra.Sparsity, rh.Sparsity, 4);
        Assert.True(Bits.Identical(fireHand, fireAuto), "firing counts differ");
        foreach (var (name, _) in sae.Parameters)
        {
            double scale = auto[name].abs().max().item<float>();
            double diff = (hand[name] - auto[name]).abs().max().item<float>();
            Assert.True(scale > 0, $"{name}: autograd gradient is all zero; the case does not test anything");
            Assert.True(diff <= 1e-4 * Math.Max(1, scale), $"{name}: hand vs autograd max difference {diff} (scale {scale})");
        }
    }
}
