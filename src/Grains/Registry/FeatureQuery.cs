using MMInterp.Grains.Contracts.Experiments;

namespace MMInterp.Grains.Registry;

/// <summary>
/// Which of a dictionary's features to list, in what order, which page. Every filter is optional (null: no filter);
/// filters combine with AND. <see cref="LabelText"/> (any of the feature's labels) and <see cref="Concept"/> match
/// case-insensitive substrings;
/// <see cref="Method"/> alone keeps features with a label of that method, and with <see cref="LabelText"/> a label of
/// that method containing the text.
/// </summary>
public sealed record FeatureQuery(
    string? LabelText = null,
    string? Concept = null,
    double? MinAuroc = null,
    double? MaxAuroc = null,
    bool? Steerable = null,
    bool? HasDashboard = null,
    LabelMethod? Method = null,
    string Sort = "index",
    bool Descending = false,
    int Offset = 0,
    int Limit = 50)
{
    public const int MaxTextLength = 200;

    /// <summary>Sort keys and the column each orders by (a whitelist: the key is never spliced into SQL itself).</summary>
    internal static readonly IReadOnlyDictionary<string, string> SortColumns = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["index"] = "f.feature_index",
        ["label"] = "lower(coalesce(f.best_label, f.top_free_label))",
        ["concept"] = "lower(f.concept)",
        ["auroc"] = "f.auroc",
        ["density"] = "f.density",
        ["max"] = "f.max_activation",
        ["steering"] = "f.steering_delta",
    };

    public static IReadOnlyCollection<string> SortKeys => (IReadOnlyCollection<string>)SortColumns.Keys;

    public FeatureQuery Validated()
    {
        if (!SortColumns.ContainsKey(Sort)) throw new ArgumentException($"sort must be one of {string.Join(", ", SortColumns.Keys)}, got '{Sort}'");
        if (Offset < 0) throw new ArgumentException($"offset must be >= 0, got {Offset}");
        RegistryLimits.Check(Limit);
        Text(LabelText, "label text");
        Text(Concept, "concept");
        foreach (var (v, what) in new[] { (MinAuroc, "minimum AUROC"), (MaxAuroc, "maximum AUROC") })
            if (v is { } x && !(x is >= 0 and <= 1)) throw new ArgumentException($"{what} must be in [0, 1], got {x}");
        if (MinAuroc > MaxAuroc) throw new ArgumentException($"minimum AUROC {MinAuroc} is above maximum {MaxAuroc}");
        if (Method is { } m && !Enum.IsDefined(m)) throw new ArgumentException($"unknown label method {(int)m}");
        return this;
    }

    static void Text(string? s, string what)
    {
        if (s is null) return;
        if (s.Length > MaxTextLength) throw new ArgumentException($"{what} must be at most {MaxTextLength} characters, got {s.Length}");
        if (s.Any(char.IsControl)) throw new ArgumentException($"{what} must not hold control characters");
    }

    /// <summary>A LIKE pattern matching <paramref name="text"/> anywhere, its wildcards taken literally.</summary>
    internal static string Contains(string text) =>
        "%" + text.Replace(@"\", @"\\").Replace("%", @"\%").Replace("_", @"\_") + "%";
}

/// <summary>One page of a feature query and how many features match in all.</summary>
public sealed record FeatureSearchResult(IReadOnlyList<FeatureRecord> Rows, long Total);
