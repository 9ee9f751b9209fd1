using System.Reflection;
using MMInterp.Kernels.Datasets;
using MMInterp.Kernels.Text;

namespace MMInterp.Kernels.Interp.Features;

/// <summary>
/// The vocabularies that come with the platform: ShapesWorld's concepts, ImageNet-1k's class names with OpenAI's 80
/// templates, and an image dataset's own class names.
/// </summary>
public static class BuiltInVocabularies
{
    public const string Shapes = "shapes";
    public const string ImageNet = "imagenet";
    public const string Dataset = "dataset";
    public static IReadOnlyList<string> Names { get; } = [Shapes, ImageNet, Dataset];

    /// <summary>The one template of vocabularies whose concepts are whole prompts.</summary>
    public const string Verbatim = "{}";

    /// <summary>
    /// ShapesWorld's concepts exactly as the free labeller has always used them: each concept is its own complete
    /// zero-shot prompt ("a photo of a red object", <see cref="ConceptSet.CaptionVocabulary"/>), embedded through the
    /// verbatim template, so labels and their scores are unchanged.
    /// </summary>
    public static Vocabulary ShapesWorld() => new(Shapes, ConceptSet.CaptionVocabulary, [Verbatim]);

    /// <summary>ImageNet-1k class names (a name the list repeats is kept once: 998 concepts) with OpenAI's 80
    /// templates, or <paramref name="templates"/>.</summary>
    public static Vocabulary ImageNet1k(IReadOnlyList<string>? templates = null) =>
        new(ImageNet, Embedded("imagenet-classes.txt", "class name", mergeRepeats: true), templates ?? ImageNetTemplates);

    /// <summary>OpenAI's 80 ImageNet prompt templates.</summary>
    public static IReadOnlyList<string> ImageNetTemplates => Embedded("imagenet-templates.txt", "template");

    /// <summary>The dataset's class names (an imagefolder dataset's class folders), verbatim.</summary>
    public static Vocabulary FromDataset(IImageDataset dataset, IReadOnlyList<string>? templates = null)
    {
        if (dataset.LabelNames.Count == 0)
            throw new ArgumentException($"dataset '{dataset.Name}' has no class names; the '{Dataset}' vocabulary needs a labelled dataset (e.g. imagefolder:DIR)");
        return new Vocabulary($"{Dataset}:{dataset.Name}", dataset.LabelNames, templates);
    }

    static IReadOnlyList<string> Embedded(string file, string what, bool mergeRepeats = false)
    {
        var name = $"MMInterp.Kernels.Text.Data.{file}";
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream(name)
                           ?? throw new InvalidOperationException($"built-in data {name} is missing from the build");
        using var reader = new StreamReader(stream);
        var lines = new List<string>();
        while (reader.ReadLine() is { } line) lines.Add(line);
        return VocabularyFile.Entries(file, what, lines, mergeRepeats);
    }
}
