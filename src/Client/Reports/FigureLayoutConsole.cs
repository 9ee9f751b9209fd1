using Spectre.Console;

namespace MMInterp.Client.Reports;

/// <summary>A <see cref="FigureLayout"/> in the terminal (after a study, `registry show experiments`): one table of the
/// groups, each headline on its group's first row with its controls under it, then a table of all other figures.</summary>
public static class FigureLayoutConsole
{
    public static void Write(IAnsiConsole console, FigureLayout layout)
    {
        if (layout.Groups.Count > 0)
        {
            var table = new Table().Title("figures beside their controls (same run)")
                .AddColumn("group").AddColumn("figure").AddColumn(new TableColumn("value").RightAligned()).AddColumn("role");
            foreach (var g in layout.Groups)
            {
                // Text renderables, not markup: figure names and titles may hold '['.
                table.AddRow(new Text(g.Group.Title, new Style(decoration: Decoration.Bold)), new Text(g.Headline.Name, new Style(decoration: Decoration.Bold)),
                    new Text(g.Headline.Text), new Text("headline"));
                foreach (var c in g.Controls) table.AddRow(new Text(""), new Text("  " + c.Name), new Text(c.Text), new Text("control"));
            }
            console.Write(table);
        }
        if (layout.Rest.Count > 0)
        {
            var rest = new Table().Title(FigureLayout.AllFiguresTitle.ToLowerInvariant() + (layout.Groups.Count > 0 ? " (the rest)" : ""))
                .AddColumn("figure").AddColumn(new TableColumn("value").RightAligned());
            foreach (var f in layout.Rest) rest.AddRow(new Text(f.Name), new Text(f.Text));
            console.Write(rest);
        }
    }
}
