using System.Text.RegularExpressions;

namespace MMInterp.Kernels.Interp.Features;

/// <summary>One binary ground-truth concept of a ShapesWorld image ("colour=red": some object is red).
/// <see cref="Group"/> is the attribute it belongs to (colour, shape, size, position, fill, background, overlay, word);
/// <see cref="Word"/> is the value's caption word and <see cref="Prompt"/> the text a free label is compared with.</summary>
public sealed record Concept(string Name, string Group, string Word, string Prompt)
{
    /// <summary>Whether a free label names this concept: it is the concept's prompt, or it contains the value word as a
    /// whole phrase ("a photo of a red object" names colour=red; "upper left" is not matched by "lower left"). A written
    /// word is named only as such ("the word red" names word=red, not colour=red, and "a red object" not word=red).</summary>
    public bool IsNamedBy(string label)
    {
        if (string.Equals(label.Trim(), Prompt, StringComparison.OrdinalIgnoreCase)) return true;
        if (Group == ConceptSet.WordGroup) return Contains(label, $@"word\W+{Regex.Escape(Word)}");
        return !Contains(label, WrittenWordPattern) && Contains(label, Regex.Escape(Word));
    }

    /// <summary>A label that names a written word ("the word red") names only that word's concept.</summary>
    static readonly string WrittenWordPattern = $@"word\W+({string.Join('|', ConceptSet.WrittenWords.Select(Regex.Escape))})";

    static bool Contains(string label, string pattern) =>
        Regex.IsMatch(label, $@"(^|\W){pattern}(\W|$)", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);
}
