using MMInterp.Kernels.Models.Llm;
using Xunit;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Tests.Llm;

/// <summary>StoredLinear's cast-on-use into reused scratch blocks: the same product as casting afresh, whatever was cast
/// before, from several threads at once, and with gradients when the input takes them.</summary>
public class StoredLinearTests
{
    static Tensor Reference(Tensor x, Tensor w, Tensor? b) => nn.functional.linear(x, w.to(ScalarType.Float32), b?.to(ScalarType.Float32));

    [Theory]
    [InlineData(16L << 20)] // one block
    [InlineData(40)]        // 40 / 8 = 5 rows a block: 13 rows in three blocks
    public void ABf16WeightGivesTheProductOfItsFloat32CastAfterOtherWeightsUsedTheScratch(long blockElements)
    {
        var saved = StoredLinear.CastBlockElements;
        StoredLinear.CastBlockElements = blockElements;
        try
        {
            using var scope = NewDisposeScope();
            using var _ = no_grad();
            manual_seed(3);
            var x = randn(2, 4, 8);
            var big = (randn(13, 8) * 100).to(ScalarType.BFloat16);
            var small = randn(3, 8).to(ScalarType.BFloat16);
            var bias = randn(13).to(ScalarType.BFloat16);
            // big fills the scratch with large values; small's product must not see any of them.
            Assert.True(StoredLinear.Apply(x, big, bias).allclose(Reference(x, big, bias), 1e-5, 1e-4));
            Assert.True(StoredLinear.Apply(x, small, null).allclose(Reference(x, small, null), 1e-5, 1e-5));
            Assert.True(StoredLinear.Apply(x, big, null).allclose(Reference(x, big, null), 1e-5, 1e-4));
        }
        finally { StoredLinear.CastBlockElements = saved; }
    }

    [Fact]
    public void ThreadsCastingAtOnceEachGetTheirOwnWeightsProduct()
    {
        using var scope = NewDisposeScope();
        manual_seed(4);
        var weights = Enumerable.Range(0, 8).Select(i => (randn(64, 32) + i * 10).to(ScalarType.BFloat16)).ToArray();
        var x = randn(5, 32);
        var expected = weights.Select(w => Reference(x, w, null)).ToArray();
        var wrong = 0;
        Parallel.For(0, 8 * 20, new ParallelOptions { MaxDegreeOfParallelism = 8 }, k =>
        {
            using var inner = NewDisposeScope();
            using var _ = no_grad();
            var i = k % weights.Length;
            if (!StoredLinear.Apply(x, weights[i], null).allclose(expected[i], 1e-5, 1e-4)) Interlocked.Increment(ref wrong);
        });
        Assert.Equal(0, wrong);
    }

    [Fact]
    public void AnInputTakingGradientsGetsTheGradientOfTheCastProduct()
    {
        using var scope = NewDisposeScope();
        manual_seed(5);
        var w = randn(6, 4).to(ScalarType.BFloat16);
        var x = randn(3, 4).requires_grad_(true);
        var loss = StoredLinear.Apply(x, w, null).pow(2).sum();
        StoredLinear.Apply(randn(3, 4), randn(6, 4).to(ScalarType.BFloat16), null); // would overwrite a shared scratch
        loss.backward();
        var ours = x.grad!.clone();
        x.grad!.zero_();
        Reference(x, w, null).pow(2).sum().backward();
        Assert.True(ours.allclose(x.grad!, 1e-5, 1e-5));
    }
}
