using System.Globalization;
using System.Net;

namespace MMInterp.Client.Web.Rendering;

/// <summary>
/// Text to HTML. Every value that comes from the registry or the request goes through <see cref="E"/> (text and
/// attribute values alike: it encodes quotes too) and every URL segment through <see cref="Seg"/>.
/// </summary>
public static class Html
{
    public static string E(string? text) => WebUtility.HtmlEncode(text ?? "");

    /// <summary>One path segment of a URL (an id, a sha), escaped so it cannot leave its segment.</summary>
    public static string Seg(string value) => Uri.EscapeDataString(value);

    public static string Link(string href, string text) => $"<a href=\"{E(href)}\">{E(text)}</a>";

    public static string Num(double? value, string format = "G4") =>
        value is { } v && double.IsFinite(v) ? v.ToString(format, CultureInfo.InvariantCulture) : "-";

    public static string Num(long? value) => value is { } v ? v.ToString("N0", CultureInfo.InvariantCulture) : "-";

    public static string Time(DateTimeOffset? t) => t is { } v ? v.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) + "Z" : "-";

    public static string Short(string? sha, int n = 12) => sha is null ? "-" : sha.Length <= n ? sha : sha[..n];

    /// <summary>A table from already-encoded cells. Headers are text.</summary>
    public static string Table(IReadOnlyList<string> headers, IEnumerable<IReadOnlyList<string>> rows, string emptyText = "(none)")
    {
        var body = string.Concat(rows.Select(r => "<tr>" + string.Concat(r.Select(c => $"<td>{c}</td>")) + "</tr>\n"));
        if (body.Length == 0) return $"<p class=\"empty\">{E(emptyText)}</p>";
        return "<table>\n<thead><tr>" + string.Concat(headers.Select(h => $"<th>{h}</th>")) + "</tr></thead>\n<tbody>\n" + body + "</tbody>\n</table>";
    }

    /// <summary>An image of an artefact (served, verified, by <c>/artefacts/{sha}</c>). Pictures are drawn at two device
    /// pixels per logical one (Kernels' Raster.DeviceScale): the source's 2x descriptor shows them at their logical size,
    /// sharp on high-density screens. (An srcset on the img itself would not do: its src joins as a 1x candidate, which
    /// a 1x screen picks.)</summary>
    public static string ArtefactImage(string sha, string alt, string id) => Chart($"/artefacts/{Seg(sha)}", alt, id);

    /// <summary>A chart drawn at <see cref="MMInterp.Kernels.Plots.Raster.DeviceScale"/> (2x), shown at its logical size:
    /// the 2x source in a &lt;picture&gt; (an &lt;img srcset&gt; would offer its src as the 1x choice). <paramref name="url"/> is
    /// already escaped for a URL.</summary>
    public static string Chart(string url, string alt, string id) =>
        $"<picture><source srcset=\"{E(url)} 2x\"><img id=\"{E(id)}\" src=\"{E(url)}\" alt=\"{E(alt)}\"></picture>";

    // The default encoder writes '>' as \u003E and non-ASCII as \uXXXX, which a reader sees verbatim; the text is
    // HTML-encoded by E() afterwards, so the relaxed encoder is safe here.
    static readonly System.Text.Json.JsonSerializerOptions Readable = new()
    {
        WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>A JSON document pretty-printed in a &lt;pre&gt; block.</summary>
    public static string Json(string? json)
    {
        if (string.IsNullOrWhiteSpace(json)) return "<pre>-</pre>";
        try
        {
            var node = System.Text.Json.Nodes.JsonNode.Parse(json);
            return $"<pre>{E(node?.ToJsonString(Readable) ?? "null")}</pre>";
        }
        catch (System.Text.Json.JsonException)
        {
            return $"<pre>{E(json)}</pre>";
        }
    }
}
