using System.Text.Json.Nodes;
using MMInterp.Client.Reports;
using static MMInterp.Client.Web.Rendering.Html;

namespace MMInterp.Client.Web.Pages;

/// <summary>
/// An experiment's figures on its page, as the CLI and report.html show them (<see cref="FigureLayout"/>): each group
/// with its headline first, its controls beside it, its caption and the picture that draws it; then "All figures" with
/// every figure no group holds.
/// </summary>
public static class ExperimentFigures
{
    /// <param name="images">Picture name -> sha256 of its PNG (results.images, checked).</param>
    /// <param name="drawn">Filled with the pictures shown inside a group, so the page does not show them twice.</param>
    public static string Html(FigureLayout layout, IReadOnlyDictionary<string, string> images, ISet<string> drawn)
    {
        var groups = string.Concat(layout.Groups.Select(g =>
        {
            var rows = g.Controls.Select(c => (IReadOnlyList<string>)[$"&nbsp;&nbsp;{E(c.Name)}", Value(c.Value), "control"])
                .Prepend([$"<b>{E(g.Headline.Name)}</b>", $"<b>{Value(g.Headline.Value)}</b>", "headline"]);
            var picture = g.Group.Picture is { } p && images.TryGetValue(p, out var sha) && drawn.Add(p)
                ? $"<figure>{ArtefactImage(sha, g.Group.Title, "image-" + p)}<figcaption>{E(p)}</figcaption></figure>"
                : "";
            return $"""
                <section class="figure-group" id="group-{E(g.Group.Headline)}"><h3>{E(g.Group.Title)}</h3>
                {Table(["figure", "value", "role"], rows)}
                <p class="muted">{E(g.Group.Caption)}</p>{(g.Note is { } note ? $"<p>{E(note)}</p>" : "")}
                {picture}</section>
                """;
        }));
        return (layout.Groups.Count > 0 ? $"<h2>Figures beside their controls</h2>\n<div id=\"figure-groups\">{groups}</div>\n" : "")
               + $"<h2>{E(FigureLayout.AllFiguresTitle)}</h2>\n<div id=\"figures\">"
               + Table(["figure", "value"], layout.Rest.Select(f => (IReadOnlyList<string>)[E(f.Name), Value(f.Value)])) + "</div>";
    }

    static string Value(JsonNode? value) => value switch
    {
        JsonValue v when v.TryGetValue<double>(out var d) => Num(d),
        JsonValue v when v.TryGetValue<string>(out var s) => E(s),
        null => "-",
        _ => $"<code>{E(value.ToJsonString())}</code>",
    };
}
