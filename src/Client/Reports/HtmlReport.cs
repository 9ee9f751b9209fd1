using System.Globalization;
using System.Net;
using System.Text;

namespace MMInterp.Client.Reports;

/// <summary>
/// A self-contained HTML report: sections of prose, figure tables and pictures (PNG files next to the report, so the
/// directory can be copied or served as is). Everything written is HTML-encoded.
/// </summary>
public sealed class HtmlReport(string title)
{
    readonly StringBuilder _body = new();

    public HtmlReport Heading(string text)
    {
        _body.Append("<h2>").Append(Enc(text)).Append("</h2>\n");
        return this;
    }

    public HtmlReport Subheading(string text)
    {
        _body.Append("<h3>").Append(Enc(text)).Append("</h3>\n");
        return this;
    }

    public HtmlReport Paragraph(string text)
    {
        _body.Append("<p>").Append(Enc(text)).Append("</p>\n");
        return this;
    }

    /// <summary>A table of named figures; numbers are shown with three decimals.</summary>
    public HtmlReport Figures(IEnumerable<(string Name, double Value, string Note)> figures)
    {
        _body.Append("<table><tr><th>figure</th><th>value</th><th>control / note</th></tr>\n");
        foreach (var (name, value, note) in figures)
            _body.Append("<tr><td><code>").Append(Enc(name)).Append("</code></td><td class=\"num\">")
                .Append(double.IsFinite(value) ? value.ToString("F3", CultureInfo.InvariantCulture) : "n/a")
                .Append("</td><td>").Append(Enc(note)).Append("</td></tr>\n");
        _body.Append("</table>\n");
        return this;
    }

    /// <summary>One figure group: its title, the headline and its controls beside it (same run), how to read them.</summary>
    public HtmlReport FigureGroup(ShownGroup group)
    {
        _body.Append("<section class=\"figure-group\"><h3>").Append(Enc(group.Group.Title)).Append("</h3>\n")
            .Append("<table><tr><th>figure</th><th>value</th><th>role</th></tr>\n");
        Row(group.Headline, "headline", "<tr class=\"headline\">");
        foreach (var c in group.Controls) Row(c, "control", "<tr class=\"control\">");
        _body.Append("</table>\n<p class=\"caption\">").Append(Enc(group.Group.Caption)).Append("</p>\n");
        if (group.Note is { } note) _body.Append("<p>").Append(Enc(note)).Append("</p>\n");
        _body.Append("</section>\n");
        return this;

        void Row(ShownFigure f, string role, string open) =>
            _body.Append(open).Append("<td><code>").Append(Enc(f.Name)).Append("</code></td><td class=\"num\">").Append(Enc(f.Text))
                .Append("</td><td>").Append(role).Append("</td></tr>\n");
    }

    /// <summary>A table with a header row; cells are text.</summary>
    public HtmlReport Table(IReadOnlyList<string> header, IEnumerable<IReadOnlyList<string>> rows)
    {
        _body.Append("<table><tr>");
        foreach (var h in header) _body.Append("<th>").Append(Enc(h)).Append("</th>");
        _body.Append("</tr>\n");
        foreach (var row in rows)
        {
            _body.Append("<tr>");
            foreach (var cell in row) _body.Append("<td>").Append(Enc(cell)).Append("</td>");
            _body.Append("</tr>\n");
        }
        _body.Append("</table>\n");
        return this;
    }

    /// <summary>A picture by its file name relative to the report.</summary>
    public HtmlReport Image(string relativePath, string caption)
    {
        // Pictures hold two device pixels per logical one (Raster.DeviceScale): the source's 2x descriptor shows them at
        // their logical size, sharp (an srcset on the img would add its src as a 1x candidate, which 1x screens pick).
        _body.Append("<figure><picture><source srcset=\"").Append(Enc(SrcsetUrl(relativePath))).Append(" 2x\"><img src=\"").Append(Enc(relativePath)).Append("\" alt=\"").Append(Enc(caption))
            .Append("\"></picture><figcaption>").Append(Enc(caption)).Append("</figcaption></figure>\n");
        return this;
    }

    // In an srcset, spaces and commas separate candidates: a file name's own are escaped.
    static string SrcsetUrl(string path) => path.Replace(" ", "%20", StringComparison.Ordinal).Replace(",", "%2C", StringComparison.Ordinal);

    public string Render() =>
        $$"""
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><title>{{Enc(title)}}</title>
        <style>
        body { font-family: system-ui, sans-serif; max-width: 980px; margin: 2em auto; color: #222; }
        table { border-collapse: collapse; margin: 1em 0; } th, td { border: 1px solid #ccc; padding: 4px 8px; text-align: left; }
        td.num { text-align: right; font-variant-numeric: tabular-nums; } figure { display: inline-block; margin: 0.5em; }
        tr.control td:first-child { padding-left: 1.5em; } tr.headline td { font-weight: 600; } p.caption { color: #555; margin-top: -0.5em; }
        img { max-width: 940px; height: auto; border: 1px solid #ddd; } figcaption { font-size: 0.9em; color: #555; }
        </style></head>
        <body><h1>{{Enc(title)}}</h1>
        {{_body}}</body></html>
        """;

    public void Write(string path) => File.WriteAllText(path, Render());

    static string Enc(string s) => WebUtility.HtmlEncode(s);
}
