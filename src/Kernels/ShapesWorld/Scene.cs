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
}
