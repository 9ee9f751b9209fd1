using MMInterp.Kernels.Probes;
using MMInterp.Kernels.ShapesWorld;
using MMInterp.Kernels.Tests.Zoo;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Tests.Probes;

[Collection(TrainedTinyClipCollection.Name)]
public class ProbeTests(TrainedTinyClipFixture trained)
{
    [Fact]
    public void ColourProbeOnTheTrainedModelBeatsChanceByAWideMargin()
    {
        var config = new ProbeSweepConfig { Attributes = [ObjectAttribute.Colour, ObjectAttribute.Size], TrainImages = 512, TestImages = 256 };
        var result = ProbeSweep.Run(trained.Loaded.Model, config);
        Assert.Equal(["vision.blocks.0.hook_resid_post", "vision.blocks.1.hook_resid_post"], result.HookNames);
        Assert.All(result.Accuracy[ObjectAttribute.Colour], a => Assert.True(a > 0.6, $"colour probe {a}; size {string.Join(",", result.Accuracy[ObjectAttribute.Size])}"));
        // Chance is 1/8 for colour.
        Assert.True(result.Accuracy[ObjectAttribute.Size].Length == 2);

        var path = Path.Combine(Path.GetTempPath(), $"mminterp-probe-{Guid.NewGuid():N}.png");
        MMInterp.Kernels.Probes.ProbePlotPng.Write(result, path);
        Assert.True(new FileInfo(path).Length > 1000);
        File.Delete(path);
    }

    [Fact]
    public void AProbeOnShuffledLabelsStaysNearChance()
    {
        using var scope = NewDisposeScope();
        manual_seed(3);
        // Separable data: the class is the argmax of the first 4 coordinates.
        var train = randn(600, 10);
        var test = randn(300, 10);
        var trainY = train.narrow(1, 0, 4).argmax(1);
        var testY = test.narrow(1, 0, 4).argmax(1);
        var real = LinearProbe.TrainAndTest(train, trainY, test, testY, 4);
        var shuffled = LinearProbe.TrainAndTest(train, trainY[randperm(600)], test, testY, 4);
        Assert.True(real > 0.85, $"probe on separable data {real}");
        Assert.InRange(shuffled, 0.1, 0.42);
    }

    [Fact]
    public void UnknownHooksAndPositionsAreRejectedByName()
    {
        var e = Assert.Throws<ArgumentException>(() => new ProbeSweepConfig { Hook = "attn.hook_pattern" }.Validate());
        Assert.Contains("Hook", e.Message);
        e = Assert.Throws<ArgumentException>(() => new ProbeSweepConfig { Position = "last" }.Validate());
        Assert.Contains("Position", e.Message);
    }
}
