using MMInterp.Grains.Registry;
using Microsoft.AspNetCore.Http;
using static MMInterp.Client.Web.Rendering.Html;

namespace MMInterp.Client.Web.Pages;

/// <summary>The web lists hide rows archived with `mminterp registry archive` as `registry list` does; `?archived=1`
/// shows them. A row stays reachable by its id and by lineage links.</summary>
static class ArchivedRows
{
    public static async Task<(List<T> Rows, string Note)> VisibleAsync<T>(RegistryStore r, HttpRequest request, string kind,
        IEnumerable<T> rows, Func<T, string> id, CancellationToken ct)
    {
        var all = rows.ToList();
        if (request.Query["archived"].ToString() is "1" or "true") return (all, "");
        var archived = await r.Annotations.ArchivedAsync(kind, ct);
        var shown = all.Where(x => !archived.Contains(id(x))).ToList();
        var hidden = all.Count - shown.Count;
        if (hidden == 0) return (shown, "");
        var query = request.QueryString.HasValue ? request.QueryString.Value + "&archived=1" : "?archived=1";
        return (shown, $"<p class=\"note\">{hidden} archived {E(kind)} row{(hidden == 1 ? "" : "s")} hidden (<a href=\"{E(request.Path + query)}\">show them</a>)</p>");
    }
}
