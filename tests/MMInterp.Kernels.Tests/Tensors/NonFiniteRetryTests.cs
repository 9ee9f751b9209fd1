using MMInterp.Kernels.Tensors;
using Xunit;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Tests.Tensors;

/// <summary>A sporadic non-finite result is recomputed; a persistent one is an error naming the computation.</summary>
public class NonFiniteRetryTests
{
    [Fact]
    public void ATransientNaNIsRecomputed()
    {
        var calls = 0;
        var before = NonFiniteRetry.Retries;
        using var result = NonFiniteRetry.Run(() => ++calls < 3 ? tensor(new[] { 1f, float.NaN }) : tensor(new[] { 1f, 2f }), "test");
        Assert.Equal(3, calls);
        Assert.Equal([1f, 2f], result.data<float>().ToArray());
        Assert.True(NonFiniteRetry.Retries >= before + 2);
    }

    [Fact]
    public void APersistentInfinityIsOneClearError()
    {
        var calls = 0;
        var e = Assert.Throws<InvalidOperationException>(() => NonFiniteRetry.Run(() => { calls++; return tensor(new[] { float.PositiveInfinity }); }, "the VAE decode"));
        Assert.Equal(NonFiniteRetry.Tries, calls);
        Assert.StartsWith("the VAE decode stayed non-finite", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    /// <summary>The last try runs without oneDNN (the measured source of sporadic NaNs), which is switched back on after.</summary>
    [Fact]
    public void TheLastTryRunsWithoutOneDnn()
    {
        var seen = new List<bool>();
        Assert.True(OneDnn.TrySetEnabled(true));
        using var result = NonFiniteRetry.Run(() =>
        {
            seen.Add(OneDnn.Enabled);
            return seen.Count < NonFiniteRetry.Tries ? tensor(new[] { float.NaN }) : tensor(new[] { 1f });
        }, "test");
        Assert.Equal(NonFiniteRetry.Tries, seen.Count);
        Assert.False(seen[^1]);
        Assert.True(OneDnn.Enabled);
    }

    [Fact]
    public void OneDnnCanBeSwitchedOffAndOnAgain()
    {
        var was = OneDnn.Enabled;
        try
        {
            Assert.True(OneDnn.TrySetEnabled(false));
            Assert.False(OneDnn.Enabled);
            Assert.True(OneDnn.TrySetEnabled(true));
            Assert.True(OneDnn.Enabled);
        }
        finally { OneDnn.TrySetEnabled(was); }
    }
}
