using MMInterp.Kernels.Images;
using MMInterp.Kernels.ShapesWorld;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Tests.ShapesWorld;

public class ShapesWorldTests
{
    static readonly ShapesWorldGenerator World = new(new ShapesWorldConfig { OverlayRate = 0.3, AttackRate = 0.5 });

    [Fact]
    public void SameSeedAndIndexGiveTheSameSceneAndPixels()
    {
        var a = World.Scene(7, 123);
        var b = new ShapesWorldGenerator(World.Config).Scene(7, 123);
        Assert.Equal(a.Caption, b.Caption);
        Assert.Equal(a.Overlay, b.Overlay);
        Assert.Equal(World.Render(a).Rgb, World.Render(b).Rgb);
    }

    [Fact]
    public void SeedsAreDifferentSplits()
    {
        var first = Enumerable.Range(0, 50).Select(i => World.Scene(1, i).Caption).ToList();
        var second = Enumerable.Range(0, 50).Select(i => World.Scene(2, i).Caption).ToList();
        Assert.True(first.Zip(second).Count(p => p.First != p.Second) > 40);
    }

    [Fact]
    public void EveryAttributeValueOccurs()
    {
        var scenes = Enumerable.Range(0, 2000).Select(i => World.Scene(3, i)).ToList();
        foreach (var attribute in Enum.GetValues<ObjectAttribute>())
            Assert.Equal(AttributeWords.Count(attribute), scenes.SelectMany(s => s.Objects).Select(o => o.Value(attribute)).Distinct().Count());
        Assert.Contains(scenes, s => s.Objects.Count == 1);
        Assert.Contains(scenes, s => s.Objects.Count == 2);
        Assert.All(scenes.Where(s => s.Objects.Count == 2), s => Assert.NotEqual(s.Objects[0].Position, s.Objects[1].Position));
    }

    [Fact]
    public void OverlaysNameAnAttributeAndAttacksNameAWrongOne()
    {
        var overlaid = Enumerable.Range(0, 1000).Select(i => World.Scene(4, i)).Where(s => s.Overlay is not null).ToList();
        Assert.InRange(overlaid.Count, 220, 380);
        foreach (var s in overlaid)
        {
            var t = s.Overlay!;
            var truth = s.Objects[t.ObjectIndex].Value(t.Attribute);
            Assert.Equal(t.IsAttack, truth != t.Value);
            Assert.Equal(AttributeWords.Words(t.Attribute)[t.Value], t.Word);
        }
        Assert.Contains(overlaid, s => s.Overlay!.IsAttack);
        Assert.Contains(overlaid, s => !s.Overlay!.IsAttack);
    }

    [Fact]
    public void BatchTensorsHaveTheDocumentedShapesAndAgreeWithTheScenes()
    {
        using var scope = NewDisposeScope();
        using var batch = World.Batch(5, 10, 12);
        Assert.Equal(new long[] { 12, 3, 32, 32 }, batch.Images.shape);
        Assert.Equal(ScalarType.Float32, batch.Images.dtype);
        Assert.Equal(new long[] { 12, 32, 32 }, batch.Mask.shape);
        Assert.Equal(new long[] { 12, 2 }, batch.Labels[ObjectAttribute.Colour].shape);
        Assert.Equal(ScalarType.Int64, batch.Labels[ObjectAttribute.Shape].dtype);
        Assert.InRange(batch.Images.min().item<float>(), 0f, 1f);
        Assert.InRange(batch.Images.max().item<float>(), 0f, 1f);
        for (var i = 0; i < 12; i++)
        {
            var scene = batch.Scenes[i];
            Assert.Equal(scene.Index, 10 + i);
            Assert.Equal(scene.Objects.Count, batch.ObjectCount[i].item<long>());
            for (var k = 0; k < 2; k++)
            {
                var label = batch.Labels[ObjectAttribute.Colour][i, k].item<long>();
                Assert.Equal(k < scene.Objects.Count ? (long)scene.Objects[k].Colour : -1, label);
            }
        }
    }

    [Fact]
    public void MaskedPixelsOfAnObjectCarryItsHue()
    {
        var world = new ShapesWorldGenerator();
        for (var index = 0; index < 40; index++)
        {
            var scene = world.Scene(6, index);
            var (rgb, mask) = world.Render(scene);
            for (var k = 0; k < scene.Objects.Count; k++)
            {
                var pixels = Enumerable.Range(0, mask.Length).Where(p => mask[p] == k + 1).ToList();
                Assert.True(pixels.Count >= 12, $"object {k} of scene {index} covers only {pixels.Count} pixels");
                // The brightest pixel of an object is its pure colour (fills only dim).
                var (r, g, b) = AttributeWords.ColourRgb[(int)scene.Objects[k].Colour];
                var best = pixels.MaxBy(p => rgb[p] + rgb[1024 + p] + rgb[2048 + p]);
                Assert.Equal(r, rgb[best], 3);
                Assert.Equal(g, rgb[1024 + best], 3);
                Assert.Equal(b, rgb[2048 + best], 3);
            }
        }
    }

    [Fact]
    public void CaptionsAndQuestionsFollowTheTemplates()
    {
        var scene = new Scene(0, 0, Background.Grey,
            [new SceneObject(Shape.Circle, Colour.Red, MMInterp.Kernels.ShapesWorld.Size.Large, Position.UpperLeft, Fill.Striped),
             new SceneObject(Shape.Square, Colour.Blue, MMInterp.Kernels.ShapesWorld.Size.Small, Position.LowerRight, Fill.Solid)], null);
        Assert.Equal("a large red striped circle in the upper left and a small blue solid square in the lower right", scene.Caption);
        var qa = Captions.Questions(scene).ToDictionary(q => q.Question, q => q.Answer);
        Assert.Equal("red", qa["what colour is the circle?"]);
        Assert.Equal("square", qa["what shape is the blue object?"]);
        Assert.Equal("two", qa["how many objects are there?"]);
        Assert.Equal("lower right", qa["where is the square?"]);
    }

    [Fact]
    public void TrainingCaptionsNameTheWrittenWordAndNeverDropTheShapeInAFamily()
    {
        var world = new ShapesWorldGenerator(new ShapesWorldConfig { OverlayRate = 1, AttackRate = 0.5 });
        var scenes = Enumerable.Range(0, 200).Select(i => world.Scene(11, i)).ToList();
        var captions = scenes.Select(s => Captions.Variant(s, 1, mentionWord: true)).ToList();
        for (var i = 0; i < scenes.Count; i++)
        {
            var phrase = Captions.WordPhrase(scenes[i].Overlay!.Word);
            // The word alone, or the same object caption as without the word, followed by it.
            if (captions[i] != phrase) Assert.Equal($"{Captions.Variant(scenes[i] with { Overlay = null }, 1)} with {phrase}", captions[i]);
        }
        // About a quarter name only the word; in a shape family the objects are always named.
        Assert.InRange(captions.Count(c => c.StartsWith("the word ", StringComparison.Ordinal)), 30, 70);
        Assert.All(scenes, s => Assert.Contains(s.Objects[0].Word(ObjectAttribute.Shape), Captions.Variant(s, 1, mentionShape: true, mentionWord: true)));
        // Without mentionWord the word stays unnamed, as in the earlier recipes.
        Assert.All(scenes, s => Assert.DoesNotContain("word", Captions.Variant(s, 1)));
    }

    [Fact]
    public void BadConfigValuesAreRejectedByName()
    {
        var e = Assert.Throws<ArgumentException>(() => new ShapesWorldGenerator(new ShapesWorldConfig { MaxObjects = 3 }));
        Assert.Contains("MaxObjects", e.Message);
        e = Assert.Throws<ArgumentException>(() => new ShapesWorldGenerator(new ShapesWorldConfig { OverlayRate = 1.5 }));
        Assert.Contains("OverlayRate", e.Message);
    }

    [Fact]
    public void FontDrawsKnownGlyphs()
    {
        // 'l' is a left column and a bottom row: 100,100,100,100,111.
        Assert.True(BitmapFont.Ink("l", 0, 0));
        Assert.False(BitmapFont.Ink("l", 1, 0));
        Assert.True(BitmapFont.Ink("l", 2, 4));
        Assert.Equal(11, BitmapFont.Width("red"));
        Assert.False(BitmapFont.Ink("rr", 3, 2)); // gap column between letters
    }

    [Fact]
    public void GridPngIsWritten()
    {
        var path = Path.Combine(Path.GetTempPath(), $"mminterp-grid-{Guid.NewGuid():N}.png");
        try
        {
            MMInterp.Kernels.ShapesWorld.ShapesGridPng.Write(World, Enumerable.Range(0, 6).Select(i => World.Scene(0, i)).ToList(), path);
            var bytes = File.ReadAllBytes(path);
            Assert.True(bytes.Length > 1000);
            Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, bytes[..4]);
        }
        finally { File.Delete(path); }
    }
}
