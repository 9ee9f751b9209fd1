using MMInterp.Kernels.ShapesWorld;
using MMInterp.Kernels.Text;

namespace MMInterp.Kernels.Zoo;

/// <summary>The tiny CLIP's tokenizer: CLIP BPE machinery over a vocabulary in which every ShapesWorld word
/// (captions, prompts, questions) is a single token.</summary>
public static class ShapesVocabulary
{
    static readonly string[] Extra =
    [
        "a", "an", "the", "of", "in", "and", "photo", "object", "objects", "what", "is", "colour", "shape", "size", "where",
        "fill", "does", "have", "how", "many", "are", "there", "one", "two", "background", "word", "written",
        "upper", "lower", "left", "right", "centre", "black", "grey", "with", "on", "picture", "image",
    ];

    public static IEnumerable<string> Words() =>
        AttributeWords.Shapes.Concat(AttributeWords.Colours).Concat(AttributeWords.Sizes).Concat(AttributeWords.Fills)
            .Concat(AttributeWords.Positions.SelectMany(p => p.Split(' '))).Concat(Extra);

    public static ClipBpeTokenizer Build() => ClipBpeTokenizer.BuildForWords(Words());
}
