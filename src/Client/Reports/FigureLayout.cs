using System.Globalization;
using System.Text.Json.Nodes;
using MMInterp.Kernels.Analyses;

namespace MMInterp.Client.Reports;

/// <summary>One figure as shown: its name and recorded value (null when the run did not measure it).</summary>
public sealed record ShownFigure(string Name, JsonNode? Value)
{
    /// <summary>The value as a number; NaN when absent, null or not a number.</summary>
    public double Number => Value is JsonValue v && v.TryGetValue<double>(out var d) ? d : double.NaN;

    /// <summary>Three decimals for numbers, "n/a" for a missing or unmeasurable one, other values as JSON text.</summary>
    public string Text => Value switch
    {
        null => "n/a",
        JsonValue v when v.TryGetValue<double>(out var d) => double.IsFinite(d) ? d.ToString("F3", CultureInfo.InvariantCulture) : "n/a",
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        _ => Value.ToJsonString(),
    };
}

/// <summary>A group as shown: the catalogue's group with the values this experiment recorded.</summary>
public sealed record ShownGroup(FigureGroup Group, ShownFigure Headline, IReadOnlyList<ShownFigure> Controls, string? Note);

/// <summary>
/// An experiment's figures arranged for every surface (CLI, `registry show`, the web page, report.html) from the one
/// definition, <see cref="FigureGroups"/>: headline-first groups with their controls beside them, then every other
/// figure by name under "all figures". Groups the experiment recorded itself (results.controls) but the catalogue does
/// not know (older records, kinds without an analysis) are kept, after the catalogue's.
/// </summary>
public sealed record FigureLayout(IReadOnlyList<ShownGroup> Groups, IReadOnlyList<ShownFigure> Rest)
{
    public const string AllFiguresTitle = "All figures";

    public static FigureLayout Of(string kind, JsonObject results)
    {
        var figures = results["figures"] as JsonObject ?? [];
        var notes = results["notes"] as JsonObject;
        var groups = FigureGroups.For(kind).ToList();
        foreach (var recorded in (results["controls"] as JsonArray ?? []).OfType<JsonObject>())
        {
            if (recorded["figure"] is not JsonValue f || !f.TryGetValue<string>(out var name) || groups.Any(g => g.Headline == name)) continue;
            var controls = (recorded["controls"] as JsonArray ?? []).OfType<JsonValue>()
                .Select(c => c.TryGetValue<string>(out var s) ? s : null).OfType<string>().ToList();
            var meaning = recorded["meaning"] is JsonValue m && m.TryGetValue<string>(out var text) ? text : "";
            groups.Add(new FigureGroup(FigureGroups.Title(name), name, controls, meaning));
        }

        // A figure recorded under an older name (FigureSpec.Aliases) fills its group under its current name.
        string? Key(string name) => figures.ContainsKey(name) ? name : FigureGroups.OldNames(name).FirstOrDefault(figures.ContainsKey);
        ShownFigure Show(string name) => new(name, Key(name) is { } key ? figures[key]?.DeepClone() : null);

        var shown = new List<ShownGroup>();
        var used = new HashSet<string>();
        foreach (var g in groups)
        {
            // A group whose headline this run did not record is left out (its controls then sit under "all figures").
            if (Key(g.Headline) is null) continue;
            var present = g.Members.Select(Key).OfType<string>().ToList();
            used.UnionWith(present);
            var note = g.Note is { } key && notes?[key] is JsonValue n && n.TryGetValue<string>(out var s) && s.Length > 0 ? s : null;
            shown.Add(new ShownGroup(g, Show(g.Headline), g.Controls.Select(Show).ToList(), note));
        }
        var rest = figures.Where(f => !used.Contains(f.Key)).OrderBy(f => f.Key, StringComparer.Ordinal)
            .Select(f => new ShownFigure(f.Key, f.Value?.DeepClone())).ToList();
        return new FigureLayout(shown, rest);
    }

    /// <summary>The groups as JSON (`registry show --json`, the API): title, headline, its value, its controls' values, caption.</summary>
    public JsonArray GroupsJson() => new(Groups.Select(g => (JsonNode)new JsonObject
    {
        ["title"] = g.Group.Title,
        ["headline"] = g.Headline.Name,
        ["value"] = g.Headline.Value?.DeepClone(),
        ["controls"] = new JsonObject(g.Controls.Select(c => KeyValuePair.Create(c.Name, c.Value?.DeepClone()))),
        ["caption"] = g.Group.Caption,
    }).ToArray());

    /// <summary>The pictures the groups draw (name in results.images), in group order.</summary>
    public IEnumerable<string> GroupPictures => Groups.Select(g => g.Group.Picture).OfType<string>().Distinct();
}
