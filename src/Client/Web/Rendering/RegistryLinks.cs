using MMInterp.Grains.Registry;
using static MMInterp.Client.Web.Rendering.Html;

namespace MMInterp.Client.Web.Rendering;

/// <summary>Links to registry rows' pages: every id a page shows goes through here, so it is a link wherever it names a row.</summary>
public static class RegistryLinks
{
    public static string Path(string kind, string id) => kind switch
    {
        "model" => $"/models/{Seg(id)}",
        "activation set" => $"/activation-sets/{Seg(id)}",
        "dictionary" => $"/dictionaries/{Seg(id)}",
        "run" => $"/runs/{Seg(id)}",
        "sweep" => $"/sweeps/{Seg(id)}",
        "experiment" => $"/experiments/{Seg(id)}",
        _ => throw new ArgumentException($"no page for registry kind '{kind}'"),
    };

    public static string To(RegistryRef row) => Link(Path(row.Kind, row.Id), row.Id);

    /// <summary>A link to a row of <paramref name="kind"/>, or "-" when the id is absent.</summary>
    public static string Maybe(string kind, string? id) => id is null ? "-" : Link(Path(kind, id), id);

    public static string Model(string? id) => Maybe("model", id);
    public static string ActivationSet(string? id) => Maybe("activation set", id);
    public static string Dictionary(string? id) => Maybe("dictionary", id);
    public static string Run(string? id) => Maybe("run", id);
    public static string Experiment(string? id) => Maybe("experiment", id);

    /// <summary>A run's link; a sweep also gets a link to its sweep page.</summary>
    public static string RunOrSweep(string id, RunKind kind) =>
        kind == RunKind.Sweep ? $"{Run(id)} ({Link(Path("sweep", id), "sweep page")})" : Run(id);

    /// <summary>Rows grouped by kind as "kind: link, link"; "(none)" when empty.</summary>
    public static string List(IEnumerable<RegistryRef> rows, string id)
    {
        var groups = rows.DistinctBy(r => (r.Kind, r.Id)).GroupBy(r => r.Kind).ToList();
        if (groups.Count == 0) return "<p class=\"empty\">(none)</p>";
        return $"<ul id=\"{E(id)}\">" + string.Concat(groups.Select(g => $"<li>{E(g.Key)}: {string.Join(", ", g.Select(To))}</li>")) + "</ul>";
    }
}
