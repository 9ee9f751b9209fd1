namespace MMInterp.Kernels.ShapesWorld;

public sealed record SceneObject(Shape Shape, Colour Colour, Size Size, Position Position, Fill Fill)
{
    public int Value(ObjectAttribute a) => a switch
    {
        ObjectAttribute.Shape => (int)Shape,
        ObjectAttribute.Colour => (int)Colour,
        ObjectAttribute.Size => (int)Size,
        ObjectAttribute.Position => (int)Position,
        ObjectAttribute.Fill => (int)Fill,
        _ => throw new ArgumentOutOfRangeException(nameof(a)),
    };

    public string Word(ObjectAttribute a) => AttributeWords.Words(a)[Value(a)];
}

/// <summary>A word drawn on the image. It names <see cref="Attribute"/> of object <see cref="ObjectIndex"/>;
/// for an attack it names a value that object does not have.</summary>
public sealed record TextOverlay(string Word, ObjectAttribute Attribute, int Value, int ObjectIndex, bool IsAttack, int X, int Y);

/// <summary>One ShapesWorld image before rendering: everything about it is ground truth.</summary>
public sealed record Scene(long Seed, long Index, Background Background, IReadOnlyList<SceneObject> Objects, TextOverlay? Overlay)
{
    public string Caption => Captions.Describe(this);

    /// <summary>This scene with its word replaced by the one naming the object's true value, drawn at the same place:
    /// the ink-without-a-lie control of a typographic attack.</summary>
    public Scene WithTrueWord()
    {
        var o = Overlay ?? throw new ArgumentException($"scene {Seed}/{Index} has no word");
        var value = Objects[o.ObjectIndex].Value(o.Attribute);
        return this with { Overlay = o with { Word = AttributeWords.Words(o.Attribute)[value], Value = value, IsAttack = false } };
    }
}
