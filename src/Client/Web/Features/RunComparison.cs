using MMInterp.Grains.Registry;
using Microsoft.AspNetCore.Http;

namespace MMInterp.Client.Web.Features;

/// <summary>
/// Runs picked for comparison (?run=a&amp;run=b, as the runs list's checkboxes send them): their rows in the order
/// given, every id checked to exist, and the parameters and metrics to set side by side.
/// </summary>
public sealed record RunComparison(IReadOnlyList<RunRow> Runs)
{
    public const int MaxRuns = 12;

    /// <summary>Parameters first, then metrics: (name, value of a run as text for display and difference).</summary>
    public static readonly (string Name, bool Metric, Func<RunRow, object?> Value)[] Fields =
    [
        ("kind", false, r => RegistryNames.Name(r.Kind)), ("status", false, r => RegistryNames.Name(r.Status)), ("model", false, r => r.ModelId),
        ("activation set", false, r => r.ActivationSetId), ("hook", false, r => r.Hook), ("layer", false, r => r.Layer),
        ("architecture", false, r => r.Architecture), ("width (d_sae)", false, r => r.DSae), ("k", false, r => r.K),
        ("l1 coefficient", false, r => r.SparsityCoefficient), ("lr", false, r => r.Lr), ("steps", false, r => r.Steps),
        ("batch size", false, r => r.BatchSize), ("seed", false, r => r.Seed), ("sweep", false, r => r.ParentRunId),
        ("step reached", true, r => r.Step), ("loss", true, r => r.Loss), ("L0", true, r => r.L0), ("FVU", true, r => r.Fvu),
        ("dead fraction", true, r => r.DeadFraction), ("dictionary", true, r => r.DictionaryId),
    ];

    public static IReadOnlyList<string> Ids(HttpRequest request)
    {
        var ids = request.Query["run"].Where(v => !string.IsNullOrWhiteSpace(v)).Select(v => v!.Trim()).Distinct(StringComparer.Ordinal).ToList();
        if (ids.Count == 0) throw new ArgumentException("pick at least one run to compare (run=ID, repeated)");
        if (ids.Count > MaxRuns) throw new ArgumentException($"compare at most {MaxRuns} runs at once, got {ids.Count}");
        foreach (var id in ids) Grains.Contracts.RegistryIds.Validate(id, "run id");
        return ids;
    }

    public static async Task<RunComparison> LoadAsync(RegistryStore r, IReadOnlyList<string> ids, CancellationToken ct)
    {
        var rows = (await r.Compare.RunsAsync(new CompareQuery(Ids: ids, Limit: MaxRuns), ct)).ToDictionary(x => x.Id, StringComparer.Ordinal);
        var missing = ids.FirstOrDefault(id => !rows.ContainsKey(id));
        if (missing is not null) throw new KeyNotFoundException($"no run '{missing}' in the registry");
        return new RunComparison(ids.Select(id => rows[id]).ToList());
    }
}
