using MMInterp.Kernels.Images;

namespace MMInterp.Kernels.ShapesWorld;

/// <summary>Draws the scene for (seed, index). Every random choice comes from one counter-based stream,
/// so a scene depends only on its seed, its index and the world config.</summary>
public sealed class SceneSampler(ShapesWorldConfig config)
{
    readonly ShapesWorldConfig _config = config.Validate();

    public ShapesWorldConfig Config => _config;

    public Scene Sample(long seed, long index)
    {
        var rng = new SplitMix64(seed, index);
        var background = (Background)rng.Below(2);
        var count = _config.MinObjects + rng.Below(_config.MaxObjects - _config.MinObjects + 1);
        var objects = new List<SceneObject>(count);
        // Two objects take two distinct corners so that they never overlap; a lone object may also sit in the centre.
        var first = count == 1 ? (Position)rng.Below(5) : (Position)rng.Below(4);
        objects.Add(SampleObject(ref rng, first));
        if (count == 2)
        {
            var second = (Position)((int)(first + 1 + rng.Below(3)) % 4);
            objects.Add(SampleObject(ref rng, second));
        }
        TextOverlay? overlay = null;
        if (rng.Unit() < _config.OverlayRate)
            overlay = SampleOverlay(ref rng, objects);
        return new Scene(seed, index, background, objects, overlay);
    }

    static SceneObject SampleObject(ref SplitMix64 rng, Position position) => new(
        (Shape)rng.Below(AttributeWords.Shapes.Length),
        (Colour)rng.Below(AttributeWords.Colours.Length),
        (Size)rng.Below(2),
        position,
        (Fill)rng.Below(3));

    TextOverlay SampleOverlay(ref SplitMix64 rng, List<SceneObject> objects)
    {
        var objectIndex = rng.Below(objects.Count);
        // Colour and shape are the attributes typographic attacks are studied on.
        var attribute = rng.Below(2) == 0 ? ObjectAttribute.Colour : ObjectAttribute.Shape;
        var truth = objects[objectIndex].Value(attribute);
        var attack = rng.Unit() < _config.AttackRate;
        var value = attack ? (truth + 1 + rng.Below(AttributeWords.Count(attribute) - 1)) % AttributeWords.Count(attribute) : truth;
        var word = AttributeWords.Words(attribute)[value];
        var scale = BitmapFont.Scale(_config.ImageSize);
        var width = BitmapFont.Width(word) * scale;
        var x = rng.Below(Math.Max(1, _config.ImageSize - width + 1));
        // Top or bottom band, whichever the named object is not in, so the word rarely hides it.
        var lower = objects[objectIndex].Position is Position.LowerLeft or Position.LowerRight;
        var y = lower ? 1 : _config.ImageSize - BitmapFont.GlyphHeight * scale - 1;
        return new TextOverlay(word, attribute, value, objectIndex, attack, x, y);
    }
}
