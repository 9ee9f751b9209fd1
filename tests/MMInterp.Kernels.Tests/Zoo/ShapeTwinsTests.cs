using MMInterp.Kernels.ShapesWorld;
using MMInterp.Kernels.Zoo;
using Xunit;

namespace MMInterp.Kernels.Tests.Zoo;

public class ShapeTwinsTests
{
    [Fact]
    public void TwinsDifferOnlyInTheFirstObjectsShapeAndTheirCaptionsOnlyInTheShapeWord()
    {
        var world = new ShapesWorldGenerator(new ShapesWorldConfig { OverlayRate = 0.5 });
        var scenes = ShapeTwins.Batch(world, seed: 3, step: 2, batchSize: 16, share: 0.5);
        Assert.Equal(16, scenes.Count);
        Assert.Equal(4, ShapeTwins.PairCount(16, 0.5));
        for (var p = 0; p < 4; p++)
        {
            var (a, b) = (scenes[2 * p], scenes[2 * p + 1]);
            Assert.NotEqual(a.Objects[0].Shape, b.Objects[0].Shape);
            Assert.Equal(a.Objects[0] with { Shape = b.Objects[0].Shape }, b.Objects[0]);
            Assert.Null(b.Overlay);
            var ca = Captions.Variant(a, 1, mentionShape: true).Split(' ');
            var cb = Captions.Variant(b, 1, mentionShape: true).Split(' ');
            Assert.Equal(ca.Length, cb.Length);
            Assert.Single(ca.Zip(cb), w => w.First != w.Second);
        }
        Assert.Equal(world.Scene(3, 2 * 16 + 8).Caption, scenes[8].Caption);
    }
}
