using Microsoft.AspNetCore.Http;

namespace MMInterp.Client.Web.Rendering;

/// <summary>The page shell every page shares: title, navigation, the stylesheet. No scripts anywhere.</summary>
public static class Layout
{
    static readonly (string Href, string Text)[] Nav =
    [
        ("/", "overview"), ("/models", "models"), ("/activation-sets", "activation sets"), ("/dictionaries", "dictionaries"),
        ("/runs", "runs"), ("/experiments", "experiments"), ("/submit", "submit work"),
    ];

    /// <summary>An HTML page; <paramref name="body"/> is already encoded. <paramref name="refreshSeconds"/> makes it reload
    /// itself (a page following a running job: pages run no scripts).</summary>
    public static IResult Page(string title, string body, int status = StatusCodes.Status200OK, bool nav = true, int? refreshSeconds = null)
    {
        var links = nav
            ? "<nav>" + string.Join(" ", Nav.Select(n => Html.Link(n.Href, n.Text)))
              + "<form method=\"post\" action=\"/logout\" class=\"logout\"><button type=\"submit\">log out</button></form></nav>"
            : "";
        var html = $"""
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>{Html.E(title)} - MMInterp</title>{(refreshSeconds is { } r ? $"\n<meta http-equiv=\"refresh\" content=\"{r}\">" : "")}
            <link rel="stylesheet" href="/site.css">
            </head>
            <body>
            <header><span class="brand">MMInterp</span>{links}</header>
            <main>
            <h1>{Html.E(title)}</h1>
            {body}
            </main>
            </body>
            </html>
            """;
        return new HtmlPage(html, status);
    }

    public static IResult Error(int status, string message) =>
        Page(status switch
            {
                400 => "Bad request", 403 => "Forbidden", 404 => "Not found", 409 => "Conflict", 413 => "Too large",
                503 => "Unavailable", _ => "Error",
            },
            $"<p class=\"error\">{Html.E(message)}</p>", status);

    /// <summary>Served at /site.css without login, so the login form is styled too.</summary>
    public const string Css = """
        body { font: 14px/1.45 system-ui, sans-serif; margin: 0; color: #1d2430; background: #f6f7f9; }
        header { background: #1d2430; color: #fff; padding: 8px 16px; display: flex; gap: 16px; align-items: center; flex-wrap: wrap; }
        header a { color: #cfe0ff; margin-right: 12px; text-decoration: none; }
        header a:hover { text-decoration: underline; }
        .brand { font-weight: 700; margin-right: 12px; }
        nav { display: flex; align-items: center; flex-wrap: wrap; flex: 1; }
        .logout { margin-left: auto; }
        main { padding: 12px 24px 40px; max-width: 1200px; }
        h1 { font-size: 22px; margin: 8px 0 12px; }
        h2 { font-size: 17px; margin: 22px 0 8px; }
        table { border-collapse: collapse; background: #fff; margin: 6px 0 12px; }
        th, td { border: 1px solid #d8dce3; padding: 4px 8px; text-align: left; vertical-align: top; }
        th { background: #eceff4; }
        th a { color: inherit; }
        td.num { text-align: right; font-variant-numeric: tabular-nums; }
        pre { background: #fff; border: 1px solid #d8dce3; padding: 8px; overflow-x: auto; max-width: 100%; }
        img { max-width: 100%; height: auto; border: 1px solid #d8dce3; background: #fff; }
        figure { margin: 8px 0 16px; display: inline-block; vertical-align: top; }
        figcaption { color: #56607a; font-size: 12px; }
        .cards { display: flex; gap: 12px; flex-wrap: wrap; }
        .card { background: #fff; border: 1px solid #d8dce3; padding: 10px 16px; min-width: 140px; }
        .card .n { font-size: 24px; font-weight: 600; }
        .empty, .muted { color: #6b7280; }
        .error { color: #a11; font-weight: 600; }
        .status-failed { color: #fff; background: #b42318; padding: 0 6px; border-radius: 3px; font-weight: 600; }
        .status-cancelled { color: #7a4d00; font-weight: 600; } .status-running { color: #1849a9; } .status-succeeded { color: #0a6b2d; }
        .yes { color: #0a6b2d; font-weight: 600; }
        .no { color: #8a8f99; }
        .pager a, .pager span { margin-right: 10px; }
        form.inline { display: flex; gap: 8px; align-items: center; margin: 8px 0; }
        input[type=text], input[type=password] { padding: 4px 6px; min-width: 320px; }
        button { padding: 4px 10px; }
        form.filters { display: flex; flex-wrap: wrap; gap: 6px 12px; align-items: center; margin: 8px 0; }
        input.short, form.filters input[type=text] { min-width: 0; width: 130px; }
        tr.differs th, tr.differs td { background: #fff6d8; }
        .status-failed { color: #a11; font-weight: 600; } .status-cancelled { color: #8a6d00; } .status-succeeded { color: #0a6b2d; }
        """;
}
