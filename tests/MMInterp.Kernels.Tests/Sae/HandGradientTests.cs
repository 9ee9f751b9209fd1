using MMInterp.Kernels.Sae;
using MMInterp.Kernels.Sae.Training;
using Xunit;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Tests.Sae;

/// <summary>The hand-written gradient kernels agree with libtorch autograd on the same loss.</summary>
public class HandGradientTests
{
    [Theory]
    [MemberData(nameof(GradientCases.Cases), MemberType = typeof(GradientCases))]
    public void HandGradientsMatchAutograd(SaeKind kind, bool preBias, double lambda)
    {
        using var scope = NewDisposeScope();
        using var sae = GradientCases.PerturbedSae(kind, preBias, dIn: 24, dSae: 80, k: 6, seed: 9);
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
