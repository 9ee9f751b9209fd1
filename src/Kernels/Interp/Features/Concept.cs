using System.Text.RegularExpressions;

namespace MMInterp.Kernels.Interp.Features;

/// <summary>One binary ground-truth concept of a ShapesWorld image ("colour=red": some object is red).
/// <see cref="Group"/> is the attribute it belongs to (colour, shape, size, position, fill, background, overlay);
/// <see cref="Word"/> is the value's caption word and <see cref="Prompt"/> the text a free label is compared with.</summary>
public sealed record Concept(string Name, string Group, string Word, string Prompt)
{
    /// <summary>Whether a free label names this concept: it is the concept's prompt, or it contains the value word as a
    /// whole phrase ("a photo of a red object" names colour=red; "upper left" is not matched by "lower left").</summary>
    public bool IsNamedBy(string label)
    {
        if (string.Equals(label.Trim(), Prompt, StringComparison.OrdinalIgnoreCase)) return true;
        return Regex.IsMatch(label, $@"(^|\W){Regex.Escape(Word)}(\W|$)", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);
    }
}
