using MMInterp.Grains.Contracts.Experiments;
using MMInterp.Grains.Registry;

namespace MMInterp.Client.Web.Api;

/// <summary>A person's label for a feature (method 'manual'); the API and the dashboard form both write through here.</summary>
public static class ManualLabels
{
    public const int MaxLength = 200;

    public static async Task<LabelRecord> AddAsync(RegistryStore registry, string dictionaryId, int index, string? label, double score, CancellationToken ct)
    {
        var dictionary = await RegistryReads.DictionaryAsync(registry, dictionaryId, ct);
        if (index < 0 || index >= dictionary.DSae)
            throw new ArgumentException($"feature index must be 0-{dictionary.DSae - 1} for dictionary '{dictionaryId}', got {index}");
        label = label?.Trim();
        if (string.IsNullOrEmpty(label)) throw new ArgumentException("label is empty");
        if (label.Length > MaxLength) throw new ArgumentException($"label must be at most {MaxLength} characters, got {label.Length}");
        // Checked here, not left to PostgreSQL: it refuses NUL with a driver error, and Npgsql cannot encode a lone surrogate.
        if (label.Any(char.IsControl)) throw new ArgumentException("label must not hold control characters (NUL, tab, newline, ...)");
        if (WebText.LoneSurrogate(label) >= 0) throw new ArgumentException("label is not valid Unicode text (it holds a lone surrogate)");
        if (label.Contains('\uFFFD')) throw new ArgumentException("label holds U+FFFD, the mark of bytes that were not valid UTF-8");
        if (!double.IsFinite(score)) throw new ArgumentException($"score must be a finite number, got {score}");
        await registry.Features.UpsertLabelsAsync(dictionaryId, [new NewLabel(index, label, score, LabelMethod.Manual)], ct);
        var labels = await registry.Features.GetLabelsAsync(dictionaryId, index, ct);
        return labels.Single(l => l.Method == LabelMethod.Manual && l.Label == label);
    }
}
