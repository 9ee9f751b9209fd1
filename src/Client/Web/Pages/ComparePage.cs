using System.Globalization;
using MMInterp.Client.Web.Api;
using MMInterp.Client.Web.Features;
using MMInterp.Client.Web.Rendering;
using MMInterp.Grains.Registry;
using MMInterp.Kernels.Plots;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using static MMInterp.Client.Web.Rendering.Html;

namespace MMInterp.Client.Web.Pages;

/// <summary>
/// /compare?run=a&amp;run=b: the picked runs side by side, one column each, parameters above metrics (rows where the
/// runs differ are marked), then one picture per metric with every run's curve overlaid.
/// </summary>
public static class ComparePage
{
    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/compare", async (RegistryStore r, HttpRequest request, CancellationToken ct) =>
        {
            var ids = RunComparison.Ids(request);
            var compared = await RunComparison.LoadAsync(r, ids, ct);
            var runQuery = string.Join("&", ids.Select(id => "run=" + Uri.EscapeDataString(id)));
            var rows = RunComparison.Fields.Select(f =>
            {
                var values = compared.Runs.Select(f.Value).ToList();
                var differs = values.Select(Text).Distinct().Count() > 1;
                var cells = values.Select((v, i) => Cell(f.Name, v)).ToList();
                return $"<tr{(differs ? " class=\"differs\"" : "")}><th>{E(f.Name)}{(f.Metric ? "" : " <span class=\"muted\">(param)</span>")}</th>"
                       + string.Concat(cells.Select(c => $"<td>{c}</td>")) + "</tr>\n";
            });
            var names = new SortedSet<string>(StringComparer.Ordinal);
            foreach (var run in compared.Runs)
                foreach (var m in await r.Metrics.SummariseAsync(run.Id, ct))
                    names.Add(m.Name);
            return Layout.Page($"Compare {compared.Runs.Count} run(s)", $"""
                <p class="muted">Marked rows differ between the runs. Metrics are each run's last logged value.</p>
                <table id="compare"><thead><tr><th></th>{string.Concat(compared.Runs.Select(x => $"<th>{RegistryLinks.Run(x.Id)}</th>"))}</tr></thead>
                <tbody>
                {string.Concat(rows)}</tbody></table>
                <h2>Curves</h2>
                <div id="curves">{(names.Count == 0 ? "<p class=\"empty\">(no metric series)</p>" : string.Concat(names.Select(n =>
                    $"<figure>{Chart($"/compare/curves/{Seg(n)}.png?{runQuery}", $"{n} of each run", $"overlay-{n}")}<figcaption>{E(n)}</figcaption></figure>")))}</div>
                """);
        });

        app.MapGet("/compare/curves/{name}.png", async (RegistryStore r, HttpRequest request, string name, CancellationToken ct) =>
        {
            var compared = await RunComparison.LoadAsync(r, RunComparison.Ids(request), ct);
            CompareQueries.Checked(name, "metric name");
            var series = new List<SeriesPlotPng.Series>();
            foreach (var run in compared.Runs)
                series.Add(new(run.Id, (await r.Metrics.ReadAsync(run.Id, name, ct: ct)).Select(p => ((double)p.Step, p.Value)).ToList()));
            if (series.All(s => s.Points.Count == 0)) throw new KeyNotFoundException($"none of the runs has a metric series '{name}'");
            return await PlotImages.PngAsync(path => SeriesPlotPng.Write(path, series, $"{name} by step", "step", name), ct);
        });
    }

    static string Text(object? v) => v switch
    {
        null => "-",
        double d => d.ToString("G6", CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => v.ToString() ?? "-",
    };

    static string Cell(string field, object? v) => (field, v) switch
    {
        (_, null) => "-",
        ("model", string id) => RegistryLinks.Model(id),
        ("activation set", string id) => RegistryLinks.ActivationSet(id),
        ("sweep", string id) => RegistryLinks.Maybe("sweep", id),
        ("dictionary", string id) => RegistryLinks.Dictionary(id),
        (_, double d) => Num(d, "G6"),
        (_, long l) => Num(l),
        _ => E(Text(v)),
    };
}
