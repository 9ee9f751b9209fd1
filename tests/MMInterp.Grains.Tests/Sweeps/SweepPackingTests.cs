using MMInterp.Grains.Contracts.Jobs;
using MMInterp.Grains.Sweeps;
using Xunit;

namespace MMInterp.Grains.Tests.Sweeps;

public class SweepPackingTests
{
    static readonly TrainingRunSpec Base = new("set-1", "vision.blocks.1.hook_resid_post",
        """{"kind":"TopK","k":32,"dictSize":256}""", """{"lr":0.001}""", Steps: 100, CheckpointEvery: 50, Seed: 7);

    static SweepSpec Grid(int packSize, params string[] ks) =>
        new(Base, new Dictionary<string, IReadOnlyList<string>> { ["sae.k"] = ks }, PackSize: packSize);

    [Fact]
    public void PointsSharingTheirReadsArePackedInOrderUpToThePackSize()
    {
        var spec = Grid(3, "1", "2", "3", "4", "5", "6", "7");
        var plan = SweepPacking.Of("sw", spec.Expand("sw"), spec.MembersPerPack);
        Assert.Equal(7, plan.Runs.Count);
        Assert.Equal(["sw-p000", "sw-p001"], plan.Packs.Select(p => p.PackId));
        Assert.Equal(["sw-r000", "sw-r001", "sw-r002"], plan.Packs[0].Spec.Members.Select(m => m.RunId));
        // The last point alone is an ordinary run.
        Assert.Null(plan.Runs[6].Spec.PackId);
        Assert.All(plan.Runs.Take(6), r => Assert.StartsWith("sw-p00", r.Spec.PackId));
        Assert.All(plan.Packs, p => p.Spec.Validated(p.PackId));
        // A pack member's spec is the run's spec, pack id included.
        Assert.Equal(plan.Runs[4].Spec, plan.Packs[1].Spec.Members[1].Spec);
    }

    [Fact]
    public void TheDefaultPacksEightAndOneMeansEveryRunReadsAlone()
    {
        var eight = Grid(0, "1", "2", "3", "4", "5", "6", "7", "8");
        Assert.Single(SweepPacking.Of("a", eight.Expand("a"), eight.MembersPerPack).Packs);
        var alone = Grid(1, "1", "2");
        var plan = SweepPacking.Of("b", alone.Expand("b"), alone.MembersPerPack);
        Assert.Empty(plan.Packs);
        Assert.All(plan.Runs, r => Assert.Null(r.Spec.PackId));
    }

    [Fact]
    public void RunsThatReadDifferentlyAreNotPacked()
    {
        var points = new List<(string, TrainingRunSpec)> { ("a", Base), ("b", Base with { BatchSize = 2048 }), ("c", Base), ("d", Base with { Hook = "other" }) };
        var plan = SweepPacking.Of("s", points, 8);
        var pack = Assert.Single(plan.Packs);
        Assert.Equal(["s-r000", "s-r002"], pack.Spec.Members.Select(m => m.RunId));
        Assert.Null(plan.Runs[1].Spec.PackId);
        Assert.Null(plan.Runs[3].Spec.PackId);
    }

    [Fact]
    public void APackRefusesMembersThatDoNotShareTheirReads()
    {
        var a = Base with { PackId = "p" };
        var e = Assert.Throws<ArgumentException>(() => new TrainingPackSpec([new("r0", a), new("r1", a with { Steps = 7 })]).Validated("p"));
        Assert.Contains("'r1' does not share", e.Message);
        Assert.Throws<ArgumentException>(() => Grid(65, "1").Validated());
    }
}
