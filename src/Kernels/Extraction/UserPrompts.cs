namespace MMInterp.Kernels.Extraction;

/// <summary>A user's prompts as the diffusion analyses and extraction take them (from `--prompt-file`): the one check
/// at the edge, so every road refuses the same bad list with the same line.</summary>
public static class UserPrompts
{
    public const int MaxCount = 256, MaxLength = 2000;

    /// <summary>Throws an ArgumentException naming the first bad prompt (empty, too long, control characters) or a bad count.</summary>
    public static void Check(IReadOnlyList<string>? prompts, string field = "Prompts")
    {
        if (prompts is null) return;
        if (prompts.Count is 0 or > MaxCount) throw new ArgumentException($"{field} must hold 1 to {MaxCount} prompts, got {prompts.Count}", field);
        for (var i = 0; i < prompts.Count; i++)
            if (string.IsNullOrWhiteSpace(prompts[i]) || prompts[i].Length > MaxLength || prompts[i].Any(char.IsControl))
                throw new ArgumentException($"{field}: prompt {i + 1} must be 1 to {MaxLength} characters of text without control characters", field);
    }
}
