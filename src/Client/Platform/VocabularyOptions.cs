using System.CommandLine;
using MMInterp.Kernels.Datasets;
using MMInterp.Kernels.Interp.Features;
using MMInterp.Kernels.Text;

namespace MMInterp.Client.Platform;

/// <summary>
/// --vocab, --template and --templates for any command that labels features: add them with <see cref="Add"/>, read
/// them back with <see cref="Resolve"/> (null when --vocab was not given, so the command keeps its default).
/// </summary>
public sealed class VocabularyOptions
{
    public Option<string?> Vocab { get; } = new("--vocab")
    {
        Description = "free-label vocabulary: shapes (ShapesWorld's concepts), imagenet (ImageNet-1k classes, OpenAI's 80 templates), "
                      + "dataset (the dataset's class names) or FILE (one concept per line; blank lines and # comments skipped)",
    };

    public Option<string[]> Template { get; } = new("--template")
    {
        Description = "prompt template with {} for the concept, e.g. \"a photo of a {}.\" (repeatable; default: the vocabulary's own, else \"a photo of a {}.\")",
        AllowMultipleArgumentsPerToken = false,
    };

    public Option<string?> TemplatesFile { get; } = new("--templates") { Description = "file of prompt templates, one per line, each with {}" };

    /// <summary>Adds the three options to <paramref name="command"/>.</summary>
    public static VocabularyOptions Add(Command command)
    {
        var o = new VocabularyOptions();
        command.Options.Add(o.Vocab);
        command.Options.Add(o.Template);
        command.Options.Add(o.TemplatesFile);
        return o;
    }

    public VocabularyRequest Request(ParseResult parse) =>
        new(parse.GetValue(Vocab), parse.GetValue(Template) ?? [], parse.GetValue(TemplatesFile));

    /// <summary>The vocabulary asked for, or null; <paramref name="dataset"/> serves --vocab dataset.</summary>
    public Vocabulary? Resolve(ParseResult parse, IImageDataset? dataset = null) => VocabularyResolver.Resolve(Request(parse), dataset);
}
