using System.Security.Claims;
using MMInterp.Grains.Registry;

namespace MMInterp.Client.Web.Api;

/// <summary>
/// A person's label for a feature (method 'manual'); the API and the dashboard forms both write through here. Every
/// write names its author (the token's user), which the registry keeps on the row and in the label history.
/// </summary>
public static class ManualLabels
{
    public const int MaxLength = 200;

    /// <summary>What a manual label's score means (the people who write them choose; the form writes 1).</summary>
    public const string ScoreScale = "the author's confidence, 0-1 (the form writes 1)";

    public static async Task<LabelRecord> AddAsync(RegistryStore registry, string dictionaryId, int index, string? label, double score, string author, CancellationToken ct)
    {
        await CheckFeatureAsync(registry, dictionaryId, index, ct);
        return await registry.Features.AddManualAsync(dictionaryId, index, Text(label), Score(score), author, ct);
    }

    public static async Task<LabelRecord> EditAsync(RegistryStore registry, string dictionaryId, int index, long labelId, string? label, double? score, string author, CancellationToken ct)
    {
        await CheckFeatureAsync(registry, dictionaryId, index, ct);
        return await registry.Features.EditManualAsync(dictionaryId, index, labelId, label is null ? null : Text(label), score is { } s ? Score(s) : null, author, ct);
    }

    public static async Task<LabelRecord> DeleteAsync(RegistryStore registry, string dictionaryId, int index, long labelId, string author, CancellationToken ct)
    {
        await CheckFeatureAsync(registry, dictionaryId, index, ct);
        return await registry.Features.DeleteManualAsync(dictionaryId, index, labelId, author, ct);
    }

    /// <summary>The user a write is recorded under.</summary>
    public static string Author(ClaimsPrincipal user) =>
        user.Identity?.Name is { Length: > 0 } name ? name : throw new ArgumentException("the token names no user to record as the author");

    static async Task CheckFeatureAsync(RegistryStore registry, string dictionaryId, int index, CancellationToken ct)
    {
        var dictionary = await RegistryReads.DictionaryAsync(registry, dictionaryId, ct);
        if (index < 0 || index >= dictionary.DSae)
            throw new ArgumentException($"feature index must be 0-{dictionary.DSae - 1} for dictionary '{dictionaryId}', got {index}");
    }

    static string Text(string? label)
    {
        label = label?.Trim();
        if (string.IsNullOrEmpty(label)) throw new ArgumentException("label is empty");
        if (label.Length > MaxLength) throw new ArgumentException($"label must be at most {MaxLength} characters, got {label.Length}");
        // Checked here, not left to PostgreSQL: it refuses NUL with a driver error, and Npgsql cannot encode a lone surrogate.
        if (label.Any(char.IsControl)) throw new ArgumentException("label must not hold control characters (NUL, tab, newline, ...)");
        if (WebText.LoneSurrogate(label) >= 0) throw new ArgumentException("label is not valid Unicode text (it holds a lone surrogate)");
        if (label.Contains('\uFFFD')) throw new ArgumentException("label holds U+FFFD, the mark of bytes that were not valid UTF-8");
        return label;
    }

    static double Score(double score) =>
        double.IsFinite(score) && score is >= 0 and <= 1 ? score : throw new ArgumentException($"score must be a number in [0, 1], got {score}");
}
