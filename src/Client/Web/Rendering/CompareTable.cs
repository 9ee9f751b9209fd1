using static MMInterp.Client.Web.Rendering.Html;

namespace MMInterp.Client.Web.Rendering;

/// <summary>
/// The compare lists' chrome: column headers that are sort links (keeping the filters; clicking the active column
/// flips its order) and a GET form of filters. Plain links and forms, no scripts.
/// </summary>
public static class CompareTable
{
    /// <summary>A header per column; a column with a key sorts by it.</summary>
    public static List<string> Headers(string self, IEnumerable<(string? Key, string Title)> columns, string sortKey, bool descending,
        IReadOnlyList<(string Key, string Value)> filters) =>
        columns.Select(c =>
        {
            if (c.Key is null) return c.Title;
            var active = c.Key == sortKey;
            var order = active ? (descending ? "asc" : "desc") : "desc";
            var query = string.Join("&", filters.Select(f => $"{f.Key}={Uri.EscapeDataString(f.Value)}").Prepend($"sort={c.Key}&order={order}"));
            var arrow = active ? (descending ? " &darr;" : " &uarr;") : "";
            return $"<a class=\"sort\" href=\"{E(self + "?" + query)}\">{c.Title}</a>{arrow}";
        }).ToList();

    /// <summary>A filter form: one field per (name, label, current value, choices or null for free text).</summary>
    public static string FilterForm(string self, string sortKey, bool descending,
        IEnumerable<(string Name, string Label, string Value, IReadOnlyList<string>? Choices)> fields) =>
        $"<form method=\"get\" action=\"{E(self)}\" class=\"filters\" id=\"filters\">"
        + $"<input type=\"hidden\" name=\"sort\" value=\"{E(sortKey)}\"><input type=\"hidden\" name=\"order\" value=\"{(descending ? "desc" : "asc")}\">"
        + string.Concat(fields.Select(f => $"<label>{E(f.Label)} " + (f.Choices is { } choices
            ? $"<select name=\"{E(f.Name)}\"><option value=\"\">any</option>"
              + string.Concat(choices.Select(c => $"<option{(c == f.Value ? " selected" : "")}>{E(c)}</option>")) + "</select>"
            : $"<input type=\"text\" class=\"short\" name=\"{E(f.Name)}\" value=\"{E(f.Value)}\">") + "</label> "))
        + $"<button type=\"submit\">filter</button> <a href=\"{E(self)}\">clear</a></form>";

    /// <summary>A right-aligned number cell's content.</summary>
    public static string N(double? v, string format = "G4") => Num(v, format);
}
