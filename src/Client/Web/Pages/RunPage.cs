using MMInterp.Client.Web.Api;
using MMInterp.Client.Web.Rendering;
using MMInterp.Grains.Registry;
using MMInterp.Kernels.Plots;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using static MMInterp.Client.Web.Rendering.Html;

namespace MMInterp.Client.Web.Pages;

/// <summary>
/// One run: its record with every id a link (sweep, experiment, activation set, model, the dictionary it
/// registered), its training curves (one picture per stored metric series, drawn from metric_points), the series
/// summary, the config, and what refers to it.
/// </summary>
public static class RunPage
{
    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/runs/{id}", async (RegistryStore r, WebCluster c, string id, CancellationToken ct) =>
        {
            var run = await RegistryReads.RunAsync(r, id, ct);
            var live = await LiveProgress.HtmlAsync(c, run.Kind, id, run.IsTerminal, ct);
            var row = (await r.Compare.RunsAsync(new CompareQuery(Ids: [id], Limit: 1), ct)).SingleOrDefault();
            var metrics = await r.Metrics.SummariseAsync(id, ct);
            var children = run.Kind == RunKind.Sweep ? await r.Runs.ListAsync(parentRunId: id, limit: 1, ct: ct) : [];
            var refers = await LineageSection.RefersToAsync(r, id, "refers-to", ct, run.ConfigJson);
            var usedBy = await r.Lineage.ExperimentsNamingAsync([id, .. row?.DictionaryId is { } d ? new[] { d } : []], ct: ct);
            var curves = metrics.Where(m => m.Points >= 2).ToList();
            return Layout.Page($"Run {run.Id}", $"""
                {Table(["kind", "status", "stage", "progress", "step", "started", "finished", "sweep / parent", "experiment"], [[
                    E(RegistryNames.Name(run.Kind)), StatusCells.Status(run.Status, run.Error), E(run.Stage ?? "-"), $"{Num(run.Progress * 100, "0")}%",
                    $"{Num(run.Step)}{(run.TotalSteps is { } t ? " / " + Num(t) : "")}", Time(run.StartedAt), Time(run.FinishedAt),
                    run.ParentRunId is { } p ? $"{RegistryLinks.Run(p)} ({Link($"/sweeps/{Seg(p)}", "sweep page")})" : "-",
                    RegistryLinks.Experiment(run.ExperimentId)]])}
                {live}
                {(run.Error is { } err ? $"<p class=\"error\">{E(err)}</p>" : "")}
                {(run.Kind == RunKind.Sweep ? $"<p>{Link($"/sweeps/{Seg(id)}", "members, Pareto table and plot")}{(children.Count == 0 ? " (no member recorded yet)" : "")}</p>" : "")}
                {(row is null ? "" : Table(["model", "activation set", "hook", "layer", "arch.", "width", "k", "l1 coeff.", "lr", "steps", "batch", "seed", "dictionary"], [[
                    RegistryLinks.Model(row.ModelId), RegistryLinks.ActivationSet(row.ActivationSetId), E(row.Hook ?? "-"), Num(row.Layer),
                    E(row.Architecture ?? "-"), Num(row.DSae, "0"), Num(row.K, "0"), Num(row.SparsityCoefficient), Num(row.Lr), Num(row.Steps, "0"),
                    Num(row.BatchSize, "0"), Num(row.Seed, "0"), RegistryLinks.Dictionary(row.DictionaryId)]]))}
                <h2>Training curves</h2>
                <div id="curves">{(curves.Count == 0 ? "<p class=\"empty\">(no metric series with two or more points)</p>" : string.Concat(curves.Select(m =>
                    $"<figure>{Chart($"/runs/{Seg(id)}/curves/{Seg(m.Name)}.png", $"{m.Name} against step", $"curve-{m.Name}")}<figcaption>{E(m.Name)} ({Num(m.Points)} points; <a href=\"/api/runs/{Seg(id)}/metrics/{Seg(m.Name)}\">JSON</a>)</figcaption></figure>")))}</div>
                <h2>Metric series</h2>
                <div id="series">{Table(["name", "points", "steps", "last value"], metrics.Select(m => (IReadOnlyList<string>)
                    [E(m.Name), Num(m.Points), $"{Num(m.FirstStep)}-{Num(m.LastStep)}", Num(m.LastValue, "G6")]))}</div>
                <p class="muted">All series as JSON: <a href="/api/runs/{Seg(id)}/metrics">/api/runs/{E(id)}/metrics</a></p>
                <h2>Refers to</h2>
                {refers}
                <h2>Experiments that name this run or its dictionary</h2>
                {RegistryLinks.List(usedBy, "used-by")}
                <h2>Config</h2>
                {Json(run.ConfigJson)}
                """);
        });

        app.MapGet("/runs/{id}/curves/{name}.png", async (RegistryStore r, string id, string name, CancellationToken ct) =>
        {
            await RegistryReads.RunAsync(r, id, ct);
            var points = await r.Metrics.ReadAsync(id, CompareQueries.Checked(name, "metric name"), ct: ct);
            if (points.Count == 0) throw new KeyNotFoundException($"run '{id}' has no metric series '{name}'");
            return await PlotImages.PngAsync(path => CurvePng.Write(path, points.Select(p => ((double)p.Step, p.Value)).ToList(),
                $"{name} of {id}", "step", name), ct);
        });
    }
}
