using MMInterp.Kernels.ShapesWorld;

namespace MMInterp.Kernels.Models.Vlm;

/// <summary>ShapesWorld question/answer pairs for the VLM: the word vocabulary, a question's type, and a
/// type-balanced choice of one question per training scene.</summary>
public static class VlmQuestions
{
    /// <summary>Question types in report order; colour and shape are the headline ones.</summary>
    public static readonly string[] Types = ["colour", "shape", "size", "position", "fill", "count", "background", "word"];

    public static string TypeOf(QuestionAnswer qa) => qa.Attribute switch
    {
        ObjectAttribute.Colour => "colour",
        ObjectAttribute.Shape => "shape",
        ObjectAttribute.Size => "size",
        ObjectAttribute.Position => "position",
        ObjectAttribute.Fill => "fill",
        _ when qa.Question.StartsWith("how many", StringComparison.Ordinal) => "count",
        _ when qa.Question.Contains("background", StringComparison.Ordinal) => "background",
        _ => "word",
    };

    /// <summary>Every question word and every answer (multi-word answers such as "upper left" as one token); "?" only
    /// with <paramref name="questionMark"/> (the zoo config's QuestionMark).</summary>
    public static VlmVocabulary Vocabulary(bool questionMark)
    {
        string[] questionWords =
        [
            "how", "many", "objects", "are", "there", "?", "what", "colour", "is", "the", "background", "shape", "object",
            "size", "where", "fill", "does", "have", "word", "written",
        ];
        var answers = AttributeWords.Colours.Concat(AttributeWords.Shapes).Concat(AttributeWords.Sizes).Concat(AttributeWords.Positions)
            .Concat(AttributeWords.Fills).Concat(AttributeWords.Backgrounds).Concat(["one", "two"]);
        return new VlmVocabulary(questionWords.Where(w => questionMark || w != VlmVocabulary.QuestionMark).Concat(answers));
    }

    /// <summary>One question for the scene, deterministic in (seed, index, salt): colour with probability
    /// <paramref name="colourShare"/>, shape with <paramref name="shapeShare"/> (when the scene has such a question),
    /// otherwise a uniformly chosen other type; then a uniform question of that type.</summary>
    public static QuestionAnswer Pick(Scene scene, double colourShare, double shapeShare, long salt = 0)
    {
        var rng = new SplitMix64(scene.Seed ^ (0x2545F4914F6CDD1DL * (salt + 1)), scene.Index);
        var byType = Captions.Questions(scene).GroupBy(TypeOf).ToDictionary(g => g.Key, g => g.ToList());
        var u = rng.Unit();
        string type;
        if (u < colourShare && byType.ContainsKey("colour")) type = "colour";
        else if (u >= colourShare && u < colourShare + shapeShare && byType.ContainsKey("shape")) type = "shape";
        else
        {
            var others = byType.Keys.Where(k => k is not ("colour" or "shape")).OrderBy(k => Array.IndexOf(Types, k)).ToList();
            type = others[rng.Below(others.Count)];
        }
        var options = byType[type];
        return options[rng.Below(options.Count)];
    }
}
