namespace MMInterp.Kernels.Text;

/// <summary>
/// The concepts free labels are chosen from, and the prompt templates each concept is embedded through ("a photo of
/// a {}."); a concept's text embedding is the mean of its templates' normalised embeddings, as CLIP's zero-shot
/// recipe does.
/// </summary>
public sealed record Vocabulary
{
    public Vocabulary(string name, IReadOnlyList<string> concepts, IReadOnlyList<string>? templates = null)
    {
        if (string.IsNullOrWhiteSpace(name)) throw new ArgumentException("vocabulary name is empty");
        if (concepts.Count == 0) throw new ArgumentException($"vocabulary '{name}' has no concepts");
        for (var i = 0; i < concepts.Count; i++)
            if (string.IsNullOrWhiteSpace(concepts[i])) throw new ArgumentException($"vocabulary '{name}': concept {i + 1} is empty");
        var dup = concepts.GroupBy(c => c, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (dup is not null) throw new ArgumentException($"vocabulary '{name}': concept '{dup.Key}' appears twice");
        templates ??= DefaultTemplates;
        if (templates.Count == 0) throw new ArgumentException($"vocabulary '{name}' has no prompt templates");
        foreach (var t in templates)
            if (!t.Contains("{}", StringComparison.Ordinal))
                throw new ArgumentException($"prompt template '{t}' has no '{{}}' where the concept goes");
        Name = name;
        Concepts = concepts;
        Templates = templates;
    }

    public static IReadOnlyList<string> DefaultTemplates { get; } = ["a photo of a {}."];

    public string Name { get; }
    public IReadOnlyList<string> Concepts { get; }
    public IReadOnlyList<string> Templates { get; }

    /// <summary>The prompts of one concept, one per template.</summary>
    public IEnumerable<string> Prompts(string concept) => Templates.Select(t => t.Replace("{}", concept, StringComparison.Ordinal));
}
