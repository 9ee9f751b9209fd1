using System.Text.Json.Nodes;
using MMInterp.Grains.Contracts.Jobs;
using Xunit;

namespace MMInterp.Grains.Tests.Sweeps;

public class SweepSpecTests
{
    static readonly TrainingRunSpec Base = new("set-1", "vision.blocks.1.hook_resid_post",
        """{"kind":"TopK","k":32,"dictSize":256}""", """{"lr":0.001}""", Steps: 100, CheckpointEvery: 50, Seed: 7);

    [Fact]
    public void GridIsTheProductOfItsAxesWithValuesApplied()
    {
        var spec = new SweepSpec(Base, new Dictionary<string, IReadOnlyList<string>>
        {
            ["sae.k"] = ["8", "16", "32"],
            ["training.lr"] = ["0.001", "0.0003"],
        });
        var runs = spec.Expand("sw");
        Assert.Equal(6, runs.Count);
        Assert.Equal(6, runs.Select(r => r.Label).Distinct().Count());
        var ks = runs.Select(r => JsonNode.Parse(r.Spec.SaeConfigJson)!["k"]!.GetValue<long>()).Distinct().Order();
        Assert.Equal(new long[] { 8, 16, 32 }, ks);
        Assert.All(runs, r => Assert.Equal("sw", r.Spec.SweepId));
        Assert.All(runs, r => Assert.Equal("TopK", JsonNode.Parse(r.Spec.SaeConfigJson)!["kind"]!.GetValue<string>()));
    }

    [Fact]
    public void RandomSearchIsReproducibleFromItsSeed()
    {
        var spec = new SweepSpec(Base, new Dictionary<string, IReadOnlyList<string>> { ["sae.k"] = ["8", "16", "32", "64"] }, Random: true, Samples: 5, Seed: 3);
        Assert.Equal(spec.Expand("a").Select(r => r.Label), spec.Expand("a").Select(r => r.Label));
        Assert.Equal(5, spec.Expand("a").Count);
    }

    [Fact]
    public void BadAxesAreNamed()
    {
        var e = Assert.Throws<ArgumentException>(() => new SweepSpec(Base, new Dictionary<string, IReadOnlyList<string>> { ["k"] = ["1"] }).Validated());
        Assert.Contains("'k'", e.Message);
        Assert.Throws<ArgumentException>(() => new SweepSpec(Base, new Dictionary<string, IReadOnlyList<string>> { ["sae.k"] = [] }).Validated());
    }
}
