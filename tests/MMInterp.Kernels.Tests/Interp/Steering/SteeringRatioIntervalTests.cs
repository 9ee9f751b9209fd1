using MMInterp.Kernels.Interp.Steering;
using MMInterp.Kernels.ShapesWorld;
using Xunit;

namespace MMInterp.Kernels.Tests.Interp.Steering;

/// <summary>The steering ratio's 95% interval: what a reader of steerable_ratio_low/high relies on to judge a bar
/// such as "at least 3x random directions" from a few dozen trials.</summary>
public class SteeringRatioIntervalTests
{
    static SteerabilityResult Result(int featurePasses, int features, int randomPasses, int random)
    {
        static List<FeatureSteering> Trials(int passes, int count) => Enumerable.Range(0, count)
            .Select(i => new FeatureSteering(i, 1, new SteeringTarget(ObjectAttribute.Colour, 0), 32, 0.1, 0.5, 0.6, i < passes, [], [])).ToList();
        return new SteerabilityResult(SteerabilityConfig.Default, "vision.blocks.0.hook_resid_post", 512, 500,
            Trials(featurePasses, features), Trials(randomPasses, random), []);
    }

    [Fact]
    public void IntervalIsKatzsLogIntervalAroundTheRatio()
    {
        // 12 of 48 features against 20 of 192 random directions: 0.25 / 0.104 = 2.4x; by Katz's formula
        // exp(ln 2.4 -+ 1.96 sqrt(1/12 - 1/48 + 1/20 - 1/192)) = 1.26 - 4.56.
        var r = Result(12, 48, 20, 192);
        Assert.Equal(2.4, r.ShareRatio, 6);
        var (low, high) = r.ShareRatioInterval;
        Assert.Equal(1.263, low, 3);
        Assert.Equal(4.561, high, 3);
    }

    [Fact]
    public void MoreRandomTrialsNarrowTheIntervalAndAnEmptyControlStaysFinite()
    {
        var one = Result(12, 48, 5, 48).ShareRatioInterval;
        var four = Result(12, 48, 20, 192).ShareRatioInterval;
        Assert.True(four.High / four.Low < one.High / one.Low, $"1 per feature {one}, 4 per feature {four}");

        var (low, high) = Result(7, 51, 0, 204).ShareRatioInterval;
        Assert.True(double.IsFinite(high) && low > 1, $"{low}-{high}");
        Assert.True(double.IsNaN(Result(7, 51, 0, 0).ShareRatioInterval.Low));
    }
}
