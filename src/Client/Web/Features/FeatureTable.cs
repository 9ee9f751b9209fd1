using MMInterp.Grains.Registry;

namespace MMInterp.Client.Web.Features;

/// <summary>How the feature table is ordered: a column key and a direction.</summary>
public sealed record FeatureSort(string Key, bool Descending)
{
    /// <summary>Sortable columns and whether they sort descending unless asked otherwise (best first).</summary>
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
/// A dictionary's feature table. The registry pages features by index only, so sorting by a statistic loads the
/// whole dictionary (its feature rows and labels: thousands of small rows) and sorts here.
/// </summary>
public static class FeatureTable
{
    public const int DefaultPageSize = 50;
    const int Batch = 10_000;

    public static async Task<List<FeatureSummary>> LoadAsync(RegistryStore registry, string dictionaryId, CancellationToken ct)
    {
        var labels = (await registry.Features.GetLabelsAsync(dictionaryId, null, ct)).ToLookup(l => l.FeatureIndex);
        var rows = new List<FeatureSummary>();
        for (var from = 0; ; )
        {
            var batch = await registry.Features.ListAsync(dictionaryId, from, Batch, ct);
            rows.AddRange(batch.Select(r => FeatureSummary.From(r, labels[r.Index].ToList())));
            if (batch.Count < Batch) break;
            from = batch[^1].Index + 1;
        }
        return rows;
    }

    public static FeaturePage Page(IReadOnlyList<FeatureSummary> rows, FeatureSort sort, int page, int pageSize = DefaultPageSize)
    {
        if (page < 1) throw new ArgumentException($"page must be >= 1, got {page}");
        if (pageSize is < 1 or > 1000) throw new ArgumentException($"page size must be 1-1000, got {pageSize}");
        var ordered = sort.Key switch
        {
            "label" => By(rows, f => f.BestLabel, sort.Descending),
            "concept" => By(rows, f => f.Concept, sort.Descending),
            "auroc" => By(rows, f => f.Auroc, sort.Descending),
            "density" => By(rows, f => f.Density, sort.Descending),
            "max" => By(rows, f => f.MaxActivation, sort.Descending),
            "steering" => By(rows, f => f.Steering?.DeltaProb, sort.Descending),
            _ => sort.Descending ? rows.OrderByDescending(f => f.Index) : rows.OrderBy(f => f.Index),
        };
        // In long: (page - 1) * pageSize overflows int for a large page and wrapped round to page 1. A page past the
        // last is empty.
        var skip = (long)(page - 1) * pageSize;
        var shown = skip >= rows.Count ? [] : ordered.Skip((int)skip).Take(pageSize).ToList();
        return new FeaturePage(shown, page, pageSize, rows.Count);
    }

    /// <summary>Missing values go last in either direction; ties keep index order.</summary>
    static IOrderedEnumerable<FeatureSummary> By<T>(IEnumerable<FeatureSummary> rows, Func<FeatureSummary, T?> key, bool descending)
    {
        var present = rows.OrderBy(f => key(f) is null);
        var ordered = descending ? present.ThenByDescending(key, Comparer<T?>.Default) : present.ThenBy(key, Comparer<T?>.Default);
        return ordered.ThenBy(f => f.Index);
    }
}
