namespace MMInterp.Kernels.ShapesWorld;

public sealed record QuestionAnswer(string Question, string Answer, ObjectAttribute? Attribute, int ObjectIndex);

/// <summary>Template captions, training-caption variants and VLM question/answer pairs.</summary>
public static class Captions
{
    /// <summary>"a large red striped circle in the upper left[ and a ...]": every attribute of every object.</summary>
    public static string Describe(Scene scene) => string.Join(" and ", scene.Objects.Select(Describe));

    public static string Describe(SceneObject o) =>
        $"a {o.Word(ObjectAttribute.Size)} {o.Word(ObjectAttribute.Colour)} {o.Word(ObjectAttribute.Fill)} {o.Word(ObjectAttribute.Shape)} in the {o.Word(ObjectAttribute.Position)}";

    /// <summary>Zero-shot prompt for one attribute value; the training captions include these forms.</summary>
    public static string Prompt(ObjectAttribute attribute, int value)
    {
        var w = AttributeWords.Words(attribute)[value];
        return attribute switch
        {
            ObjectAttribute.Colour => $"a photo of a {w} object",
            ObjectAttribute.Shape => $"a photo of a {w}",
            ObjectAttribute.Size => $"a photo of a {w} object",
            ObjectAttribute.Position => $"a photo of an object in the {w}",
            ObjectAttribute.Fill => $"a photo of a {w} object",
            _ => throw new ArgumentOutOfRangeException(nameof(attribute)),
        };
    }

    /// <summary>A caption with some attributes left out, chosen by (seed, index, salt). Training on partial captions
    /// teaches the text tower single-attribute phrases, which zero-shot prompts rely on.</summary>
    /// <param name="mentionShape">only templates that name the shape (for pairs that differ only in shape)</param>
    /// <param name="mentionWord">name the word written on the image, if any, as web captions name the text in a photo
    /// (the published explanation of CLIP's reading): "... with the word blue", or on its own, "the word blue"</param>
    public static string Variant(Scene scene, long salt, bool mentionShape = false, bool mentionWord = false)
    {
        var rng = new SplitMix64(scene.Seed ^ (salt * 0x5851F42D4C957F2DL), scene.Index);
        var objects = string.Join(" and ", scene.Objects.Select(o => VariantOf(o, ref rng, mentionShape)));
        if (!mentionWord || scene.Overlay is not { } word) return objects;
        // A quarter of the worded captions name only the word (never in a shape family, whose captions must differ by shape).
        return !mentionShape && rng.Below(4) == 0 ? WordPhrase(word.Word) : $"{objects} with {WordPhrase(word.Word)}";
    }

    /// <summary>How a caption names a written word: "the word blue".</summary>
    public static string WordPhrase(string word) => $"the word {word}";

    static string VariantOf(SceneObject o, ref SplitMix64 rng, bool mentionShape)
    {
        string W(ObjectAttribute a) => o.Word(a);
        var template = rng.Below(8);
        if (mentionShape && template == 2) template = 3;
        return template switch
        {
            0 or 1 => Describe(o),
            2 => $"a photo of a {W(ObjectAttribute.Colour)} object",
            3 => $"a photo of a {W(ObjectAttribute.Shape)}",
            4 => $"a photo of a {W(ObjectAttribute.Colour)} {W(ObjectAttribute.Shape)}",
            5 => $"a {W(ObjectAttribute.Size)} {W(ObjectAttribute.Colour)} {W(ObjectAttribute.Shape)}",
            6 => $"a {W(ObjectAttribute.Colour)} {W(ObjectAttribute.Fill)} {W(ObjectAttribute.Shape)} in the {W(ObjectAttribute.Position)}",
            _ => $"a photo of a {W(ObjectAttribute.Size)} {W(ObjectAttribute.Fill)} {W(ObjectAttribute.Shape)}",
        };
    }

    /// <summary>Questions whose answer is one word or phrase. An object is named by its shape when that is
    /// unique in the scene, otherwise by colour and shape, so every question has exactly one answer.</summary>
    public static IReadOnlyList<QuestionAnswer> Questions(Scene scene)
    {
        var list = new List<QuestionAnswer>
        {
            new("how many objects are there?", scene.Objects.Count == 1 ? "one" : "two", null, -1),
            new("what colour is the background?", AttributeWords.Backgrounds[(int)scene.Background], null, -1),
        };
        for (var k = 0; k < scene.Objects.Count; k++)
        {
            var o = scene.Objects[k];
            var uniqueShape = scene.Objects.Count(x => x.Shape == o.Shape) == 1;
            var name = uniqueShape ? o.Word(ObjectAttribute.Shape) : $"{o.Word(ObjectAttribute.Colour)} {o.Word(ObjectAttribute.Shape)}";
            if (uniqueShape) list.Add(new($"what colour is the {name}?", o.Word(ObjectAttribute.Colour), ObjectAttribute.Colour, k));
            if (scene.Objects.Count(x => x.Colour == o.Colour) == 1)
                list.Add(new($"what shape is the {o.Word(ObjectAttribute.Colour)} object?", o.Word(ObjectAttribute.Shape), ObjectAttribute.Shape, k));
            if (uniqueShape || scene.Objects.Count(x => x.Shape == o.Shape && x.Colour == o.Colour) == 1)
            {
                list.Add(new($"what size is the {name}?", o.Word(ObjectAttribute.Size), ObjectAttribute.Size, k));
                list.Add(new($"where is the {name}?", o.Word(ObjectAttribute.Position), ObjectAttribute.Position, k));
                list.Add(new($"what fill does the {name} have?", o.Word(ObjectAttribute.Fill), ObjectAttribute.Fill, k));
            }
        }
        if (scene.Overlay is { } t) list.Add(new("what word is written?", t.Word, null, -1));
        return list;
    }
}
