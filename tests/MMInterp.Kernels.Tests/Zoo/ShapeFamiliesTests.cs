using MMInterp.Kernels.ShapesWorld;
using MMInterp.Kernels.Zoo;
using Xunit;

namespace MMInterp.Kernels.Tests.Zoo;

public class ShapeFamiliesTests
{
    [Theory]
    [InlineData(2)]
    [InlineData(4)]
    public void FamiliesDifferOnlyInTheFirstObjectsShapeAndTheirCaptionsOnlyInTheShapeWord(int size)
    {
        var world = new ShapesWorldGenerator(new ShapesWorldConfig { OverlayRate = 0.5 });
        var scenes = ShapeFamilies.Batch(world, seed: 3, step: 2, batchSize: 16, share: 0.5, size, keepWords: true);
        Assert.Equal(16, scenes.Count);
        var families = ShapeFamilies.FamilyCount(16, 0.5, size);
        Assert.Equal(8 / size, families);
        for (var f = 0; f < families; f++)
        {
            var members = scenes.Skip(f * size).Take(size).ToList();
            Assert.Equal(size, members.Select(s => s.Objects[0].Shape).Distinct().Count());
            var head = members[0];
            var words = Captions.Variant(head, 1, mentionShape: true).Split(' ');
            foreach (var m in members.Skip(1))
            {
                Assert.Equal(head.Objects[0] with { Shape = m.Objects[0].Shape }, m.Objects[0]);
                Assert.Equal(head.Objects.Skip(1), m.Objects.Skip(1));
                // Training words are independent of the scene: a member keeps its head's word at the same place.
                Assert.Equal(head.Overlay?.Word, m.Overlay?.Word);
                Assert.Equal(head.Overlay?.X, m.Overlay?.X);
                var other = Captions.Variant(m, 1, mentionShape: true).Split(' ');
                Assert.Equal(words.Length, other.Length);
                Assert.Single(words.Zip(other), w => w.First != w.Second);
            }
        }
        Assert.Equal(world.Scene(3, 2 * 16 + 8).Caption, scenes[8].Caption);
        // Without keepWords (captions that never name the word) members carry none.
        Assert.All(ShapeFamilies.Batch(world, 3, 2, 16, 0.5, size).Where((_, i) => i % size != 0 && i < size * families), m => Assert.Null(m.Overlay));
    }

    [Fact]
    public void FamilySizeOutsideTheShapeCountIsRefused()
    {
        var world = new ShapesWorldGenerator();
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => ShapeFamilies.Batch(world, 0, 0, 16, 0.5, 7));
        Assert.Contains("family size", e.Message);
    }
}
