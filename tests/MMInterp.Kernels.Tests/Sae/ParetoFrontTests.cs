using MMInterp.Kernels.Sae.Metrics;
using Xunit;

namespace MMInterp.Kernels.Tests.Sae;

public class ParetoFrontTests
{
    [Fact]
    public void KeepsOnlyUndominatedPointsInL0Order()
    {
        var points = new ParetoFront.Point[]
        {
            new("a", 10, 0.50), new("b", 20, 0.30), new("c", 25, 0.35), // c is dominated by b
            new("d", 40, 0.10), new("e", 40, 0.20), new("f", 5, double.NaN),
        };
        var front = ParetoFront.Of(points);
        Assert.Equal(new[] { "a", "b", "d" }, front.Select(p => p.Id));
    }
}
