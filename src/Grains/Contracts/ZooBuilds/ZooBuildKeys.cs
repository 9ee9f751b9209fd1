using System.Globalization;

namespace MMInterp.Grains.Contracts.ZooBuilds;

/// <summary>
/// Keys of zoo build grains. A recipe's first build is keyed by its model id; a finished build stays finished (the
/// shared job lifecycle), so building the recipe again after a failure, a cancellation or the model's removal is a new
/// attempt under "{model id}.{n}". Every attempt is a run of its own in the registry.
/// </summary>
public static class ZooBuildKeys
{
    public const int MaxAttempts = 1000;

    public static string Key(string modelId, int attempt) =>
        attempt == 1 ? modelId : string.Create(CultureInfo.InvariantCulture, $"{modelId}.{attempt}");

    /// <summary>Whether <paramref name="key"/> is an attempt at building <paramref name="modelId"/>.</summary>
    public static bool IsAttemptOf(string key, string modelId) =>
        key == modelId || (key.Length > modelId.Length + 1 && key.StartsWith(modelId + ".", StringComparison.Ordinal)
                           && int.TryParse(key.AsSpan(modelId.Length + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= 2);
}
