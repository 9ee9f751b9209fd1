namespace MMInterp.Kernels.ShapesWorld;

public enum Shape { Circle, Square, Triangle, Cross, Ring, Star }
public enum Colour { Red, Green, Blue, Yellow, Magenta, Cyan, White, Orange }
public enum Size { Small, Large }
public enum Position { UpperLeft, UpperRight, LowerLeft, LowerRight, Centre }
public enum Fill { Solid, Striped, Dotted }
public enum Background { Black, Grey }

/// <summary>The per-object attributes a label tensor, a probe or a zero-shot prompt can name.</summary>
public enum ObjectAttribute { Shape, Colour, Size, Position, Fill }

/// <summary>Words for every attribute value (the caption vocabulary) and the RGB of each colour.</summary>
public static class AttributeWords
{
    public static readonly string[] Shapes = ["circle", "square", "triangle", "cross", "ring", "star"];
    public static readonly string[] Colours = ["red", "green", "blue", "yellow", "magenta", "cyan", "white", "orange"];
    public static readonly string[] Sizes = ["small", "large"];
    public static readonly string[] Positions = ["upper left", "upper right", "lower left", "lower right", "centre"];
    public static readonly string[] Fills = ["solid", "striped", "dotted"];
    public static readonly string[] Backgrounds = ["black", "grey"];

    /// <summary>RGB in [0,1]; chosen far apart so colour is decidable from one pixel.</summary>
    public static readonly (float R, float G, float B)[] ColourRgb =
    [
        (0.95f, 0.10f, 0.10f), (0.10f, 0.80f, 0.15f), (0.15f, 0.25f, 1.00f), (0.95f, 0.95f, 0.10f),
        (0.95f, 0.10f, 0.95f), (0.10f, 0.95f, 0.95f), (1.00f, 1.00f, 1.00f), (1.00f, 0.55f, 0.00f),
    ];

    public static readonly float[] BackgroundGrey = [0.0f, 0.45f];

    public static string[] Words(ObjectAttribute a) => a switch
    {
        ObjectAttribute.Shape => Shapes,
        ObjectAttribute.Colour => Colours,
        ObjectAttribute.Size => Sizes,
        ObjectAttribute.Position => Positions,
        ObjectAttribute.Fill => Fills,
        _ => throw new ArgumentOutOfRangeException(nameof(a)),
    };

    public static int Count(ObjectAttribute a) => Words(a).Length;

    /// <summary>Parses "colour"/"color", "shape", ... as typed on a command line.</summary>
    public static ObjectAttribute ParseAttribute(string name) => name.Trim().ToLowerInvariant() switch
    {
        "shape" => ObjectAttribute.Shape,
        "colour" or "color" => ObjectAttribute.Colour,
        "size" => ObjectAttribute.Size,
        "position" => ObjectAttribute.Position,
        "fill" => ObjectAttribute.Fill,
        _ => throw new ArgumentException($"unknown attribute '{name}': expected shape, colour, size, position or fill"),
    };
}
