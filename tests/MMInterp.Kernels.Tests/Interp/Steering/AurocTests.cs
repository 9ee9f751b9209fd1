using MMInterp.Kernels.Interp.Typographic;
using Xunit;

namespace MMInterp.Kernels.Tests.Interp.Steering;

public class AurocTests
{
    [Fact]
    public void RanksWithTiesSharingTheirMeanRank()
    {
        Assert.Equal(1.0, Auroc.Of([0.1f, 0.2f, 0.8f, 0.9f], [false, false, true, true]));
        Assert.Equal(0.0, Auroc.Of([0.1f, 0.2f, 0.8f, 0.9f], [true, true, false, false]));
        Assert.Equal(0.5, Auroc.Of([0f, 0f, 0f, 0f], [true, false, true, false]));
        // Pairs (p, n): (0.5 vs 0.2) wins, (0.5 vs 0.5) ties, (0.1 vs both) loses: (1 + 0.5) / 4.
        Assert.Equal(0.375, Auroc.Of([0.5f, 0.1f, 0.2f, 0.5f], [true, true, false, false]));
        Assert.Throws<ArgumentException>(() => Auroc.Of([0.5f, 0.1f], [true, true]));
    }
}
