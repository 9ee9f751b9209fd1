using System.Globalization;
using MMInterp.Kernels.Plots;
using Xunit;

namespace MMInterp.Kernels.Tests.Plots;

/// <summary>Axis ticks fall on round numbers (1, 2, 2.5 or 5 times a power of ten) and read as such.</summary>
public class NiceTicksTests
{
    [Fact]
    public void TheRangeThatGave0Point0972TicksNowGetsTenths()
    {
        // The old frame split [0, 0.486] into fifths: 0.0972, 0.194, ...
        var ticks = NiceTicks.Within(0, 0.486);
        Assert.Equal(0.1, ticks.Step, 12);
        Assert.Equal(["0.0", "0.1", "0.2", "0.3", "0.4"], ticks.Values.Select(ticks.Label));
        Assert.Equal((0, 0.5), NiceTicks.Widen(0, 0.486));
    }

    [Theory]
    [InlineData(0, 1, 0.2)]
    [InlineData(0, 1.0185, 0.25)]
    [InlineData(0, 7, 2)]
    [InlineData(0, 20000, 5000)]
    [InlineData(-3, 3, 2)]
    [InlineData(0.001, 0.0042, 0.001)]
    public void StepsAreRound(double from, double to, double step) => Assert.Equal(step, NiceTicks.StepFor(from, to), 12);

    [Fact]
    public void EveryRangeGetsRoundStepsExactLabelsAndAboutTheAskedCount()
    {
        var rng = new Random(19);
        for (var i = 0; i < 2000; i++)
        {
            var from = (rng.NextDouble() - 0.3) * Math.Pow(10, rng.Next(-3, 6));
            var to = from + rng.NextDouble() * Math.Pow(10, rng.Next(-3, 6)) + 1e-3;
            var count = rng.Next(2, 9);
            var ticks = NiceTicks.Within(from, to, count);
            var mantissa = ticks.Step / Math.Pow(10, Math.Floor(Math.Log10(ticks.Step) + 1e-9));
            Assert.Contains(Math.Round(mantissa, 9), new[] { 1, 2, 2.5, 5 });
            Assert.InRange(ticks.Values.Count, 1, count + 1);
            foreach (var v in ticks.Values)
            {
                Assert.InRange(v, from - 1e-6 * ticks.Step, to + 1e-6 * ticks.Step);
                var label = ticks.Label(v);
                var read = double.Parse(label, NumberStyles.Float | NumberStyles.AllowThousands, CultureInfo.InvariantCulture);
                Assert.True(Math.Abs(read - v) <= 1e-9 * Math.Max(1, Math.Abs(v)) || label.Contains('E'), $"tick {v} labelled '{label}'");
            }
            var (a, b) = NiceTicks.Widen(from, to, count);
            // Up to a millionth of a step of slack: data that far past a tick is drawn on it.
            var slack = 1e-6 * NiceTicks.StepFor(from, to, count);
            Assert.True(a <= from + slack && b >= to - slack, $"[{from}, {to}] widened to [{a}, {b}]");
        }
    }

    [Fact]
    public void ARangeThatDoesNotIncreaseIsRefused()
    {
        var e = Assert.Throws<ArgumentException>(() => NiceTicks.Within(1, 1));
        Assert.Contains("increasing", e.Message);
        Assert.Throws<ArgumentException>(() => NiceTicks.Within(0, double.NaN));
    }
}
