using MMInterp.Kernels.ShapesWorld;
using MMInterp.Kernels.Zoo;
using Xunit;

namespace MMInterp.Kernels.Tests.Vlm;

public class PatchAttributesTests
{
    [Fact]
    public void EachCoveredPatchCarriesTheValueOfAnObjectThatIsReallyThere()
    {
        using var batch = new ShapesWorldGenerator(new ShapesWorldConfig { OverlayRate = 0 }).Batch(3, 0, 32);
        using var labels = PatchAttributes.Labels(batch, ObjectAttribute.Shape, 4);
        Assert.Equal(new long[] { 32, 64 }, labels.shape);
        var values = labels.data<long>().ToArray();
        var covered = 0;
        for (var b = 0; b < batch.Count; b++)
        {
            var present = batch.Scenes[b].Objects.Select(o => (long)o.Value(ObjectAttribute.Shape)).ToHashSet();
            var mine = values.Skip(b * 64).Take(64).Where(v => v != PatchAttributes.None).ToList();
            Assert.All(mine, v => Assert.Contains(v, present));
            covered += mine.Count;
            Assert.NotEmpty(mine); // every object covers at least one patch by a quarter
        }
        // Objects are a minority of the image: most patches are background.
        Assert.InRange(covered / (64.0 * batch.Count), 0.02, 0.6);
    }

    [Fact]
    public void APatchSizeThatDoesNotDivideTheImageIsRejected()
    {
        using var batch = new ShapesWorldGenerator().Batch(3, 0, 2);
        var e = Assert.Throws<ArgumentException>(() => PatchAttributes.Labels(batch, ObjectAttribute.Colour, 5));
        Assert.Contains("patch size", e.Message);
    }
}
