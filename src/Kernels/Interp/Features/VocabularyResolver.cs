using MMInterp.Kernels.Datasets;
using MMInterp.Kernels.Text;

namespace MMInterp.Kernels.Interp.Features;

/// <summary>
/// What a user asked for: <see cref="Vocab"/> is "shapes", "imagenet", "dataset" or a file of concepts (write ./shapes
/// for a file that is named like a built-in); templates come from <see cref="Templates"/> (--template, repeatable)
/// and then <see cref="TemplatesFile"/> (--templates).
/// </summary>
public sealed record VocabularyRequest(string? Vocab, IReadOnlyList<string>? Templates = null, string? TemplatesFile = null);

/// <summary>Turns a <see cref="VocabularyRequest"/> into a <see cref="Vocabulary"/>; every refusal is one line.</summary>
public static class VocabularyResolver
{
    /// <summary>Null when nothing was asked (the caller keeps its default); <paramref name="dataset"/> is consulted only
    /// for the "dataset" vocabulary.</summary>
    public static Vocabulary? Resolve(VocabularyRequest request, IImageDataset? dataset = null)
    {
        var templates = Templates(request);
        if (string.IsNullOrWhiteSpace(request.Vocab))
        {
            if (templates is not null) throw new ArgumentException("--template/--templates need --vocab (shapes, imagenet, dataset or a file of concepts)");
            return null;
        }
        var vocab = request.Vocab.Trim();
        switch (vocab)
        {
            case BuiltInVocabularies.Shapes:
                if (templates is not null)
                    throw new ArgumentException("the shapes vocabulary's concepts are complete prompts (as the ShapesWorld labeller uses them); --template/--templates do not apply to it");
                return BuiltInVocabularies.ShapesWorld();
            case BuiltInVocabularies.ImageNet:
                return BuiltInVocabularies.ImageNet1k(templates);
            case BuiltInVocabularies.Dataset:
                return BuiltInVocabularies.FromDataset(dataset ?? throw new ArgumentException("--vocab dataset takes the class names of the dataset being studied; this command has none"), templates);
            default:
                return new Vocabulary(vocab, VocabularyFile.ReadConcepts(vocab), templates);
        }
    }

    /// <summary>--template values then the --templates file; null when neither was given.</summary>
    static IReadOnlyList<string>? Templates(VocabularyRequest request)
    {
        var given = request.Templates ?? [];
        if (given.Count == 0 && request.TemplatesFile is null) return null;
        var all = new List<string>();
        foreach (var t in given)
        {
            if (string.IsNullOrWhiteSpace(t)) throw new ArgumentException("--template is empty");
            if (!t.Contains("{}", StringComparison.Ordinal)) throw new ArgumentException($"--template '{t}' has no '{{}}' where the concept goes");
            all.Add(t);
        }
        if (request.TemplatesFile is { } file) all.AddRange(VocabularyFile.ReadTemplates(file));
        var repeated = all.GroupBy(t => t, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (repeated is not null) throw new ArgumentException($"template '{repeated.Key}' is given twice");
        return all;
    }
}
