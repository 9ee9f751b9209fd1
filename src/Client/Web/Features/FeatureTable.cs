using MMInterp.Grains.Registry;

namespace MMInterp.Client.Web.Features;

/// <summary>How the feature table is ordered: a column key and a direction.</summary>
public sealed record FeatureSort(string Key, bool Descending)
{
    /// <summary>Sortable columns and whether they sort descending unless asked otherwise (best first).</summary>
    /// <summary>The registry's <see cref="FeatureQuery.SortKeys"/>, each with its default direction.</summary>
    public static readonly IReadOnlyDictionary<string, bool> Keys = new Dictionary<string, bool>(StringComparer.Ordinal)
    {
        ["index"] = false, ["label"] = false, ["concept"] = false, ["auroc"] = true, ["density"] = true, ["max"] = true, ["steering"] = true,
    };

    public static FeatureSort Parse(string? key, string? order)
    {
        key = string.IsNullOrEmpty(key) ? "index" : key;
        if (!Keys.TryGetValue(key, out var descending))
            throw new ArgumentException($"sort must be one of {string.Join(", ", Keys.Keys)}, got '{key}'");
        return order switch
        {
            null or "" => new FeatureSort(key, descending),
            "asc" => new FeatureSort(key, false),
            "desc" => new FeatureSort(key, true),
            _ => throw new ArgumentException($"order must be asc or desc, got '{order}'"),
        };
    }
}

public sealed record FeaturePage(IReadOnlyList<FeatureSummary> Rows, int Page, int PageSize, int Total)
{
    public int Pages => Math.Max(1, (Total + PageSize - 1) / PageSize);
}

/// <summary>
/// A dictionary's feature table: the registry filters, sorts and pages it (indexed columns, see
/// <see cref="FeatureRepository.SearchAsync"/>); only the shown page's stats and labels are read and parsed here.
/// </summary>
public static class FeatureTable
{
    public const int DefaultPageSize = 50;

    public static async Task<FeaturePage> QueryAsync(RegistryStore registry, string dictionaryId, FeatureFilter filter, FeatureSort sort, int page,
        int pageSize = DefaultPageSize, CancellationToken ct = default)
    {
        if (page < 1) throw new ArgumentException($"page must be >= 1, got {page}");
        if (pageSize is < 1 or > 1000) throw new ArgumentException($"page size must be 1-1000, got {pageSize}");
        // In long: (page - 1) * pageSize overflows int for a large page. A page past the last is empty.
        var skip = (int)Math.Min((long)(page - 1) * pageSize, int.MaxValue);
        var found = await registry.Features.SearchAsync(dictionaryId, filter.ToQuery(sort, skip, pageSize), ct);
        var labels = found.Rows.Count == 0
            ? Enumerable.Empty<LabelRecord>().ToLookup(l => l.FeatureIndex)
            : (await registry.Features.GetLabelsAsync(dictionaryId, found.Rows.Select(r => r.Index).ToList(), ct)).ToLookup(l => l.FeatureIndex);
        var rows = found.Rows.Select(r => FeatureSummary.From(r, labels[r.Index].ToList())).ToList();
        return new FeaturePage(rows, page, pageSize, (int)Math.Min(found.Total, int.MaxValue));
    }
}
