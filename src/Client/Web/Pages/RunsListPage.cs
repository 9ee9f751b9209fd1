using MMInterp.Client.Web.Api;
using MMInterp.Client.Web.Rendering;
using MMInterp.Grains.Registry;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using static MMInterp.Client.Web.Rendering.Html;

namespace MMInterp.Client.Web.Pages;

/// <summary>
/// /runs: every run with its settings (from its config) and the last value of its loss, L0, FVU and dead fraction,
/// sortable by any column and filtered by kind, status, model, hook, architecture, sweep and metric bounds, all in
/// the query string. Checkboxes pick runs for /compare.
/// </summary>
public static class RunsListPage
{
    static readonly (string? Key, string Title)[] Columns =
    [
        (null, "compare"), ("id", "run"), ("kind", "kind"), ("status", "status"), ("model", "model"), ("hook", "hook"), ("layer", "layer"),
        ("architecture", "arch."), ("d_sae", "width"), ("k", "k"), ("sparsity", "l1 coeff."), ("lr", "lr"), ("steps", "steps"),
        ("step", "step"), ("loss", "loss"), ("l0", "L0"), ("fvu", "FVU"), ("dead", "dead frac."), (null, "dictionary"),
        (null, "sweep"), ("updated", "updated"),
    ];

    public static void Map(IEndpointRouteBuilder app) =>
        app.MapGet("/runs", async (RegistryStore r, HttpRequest request, CancellationToken ct) =>
        {
            var q = CompareQueries.From(request);
            var rows = await r.Compare.RunsAsync(q, ct);
            var (shown, archivedNote) = await ArchivedRows.VisibleAsync(r, request, "run", rows, x => x.Id, ct);
            var sort = string.IsNullOrWhiteSpace(q.Sort) ? "created" : q.Sort.Trim().ToLowerInvariant();
            var filters = CompareQueries.FilterValues(request);
            string Value(string key) => filters.FirstOrDefault(f => f.Key == key).Value ?? "";
            var form = CompareTable.FilterForm("/runs", sort, q.Descending,
            [
                ("kind", "kind", Value("kind"), Enum.GetValues<RunKind>().Select(RegistryNames.Name).ToList()),
                ("status", "status", Value("status"), Enum.GetValues<RunStatus>().Select(RegistryNames.Name).ToList()),
                ("model", "model", Value("model"), null), ("hook", "hook", Value("hook"), null),
                ("architecture", "arch.", Value("architecture"), Enum.GetValues<SaeArchitecture>().Select(RegistryNames.Name).ToList()),
                ("sweep", "sweep", Value("sweep"), null), ("max_fvu", "FVU &le;", Value("max_fvu"), null), ("max_l0", "L0 &le;", Value("max_l0"), null),
            ]);
            var body = shown.Select(run => (IReadOnlyList<string>)
            [
                $"<input type=\"checkbox\" name=\"run\" value=\"{E(run.Id)}\">",
                RegistryLinks.RunOrSweep(run.Id, run.Kind), E(RegistryNames.Name(run.Kind)), StatusCells.Status(run.Status, run.Error),
                RegistryLinks.Model(run.ModelId), E(run.Hook ?? "-"), Num(run.Layer), E(run.Architecture ?? "-"), Num(run.DSae, "0"), Num(run.K, "0"),
                Num(run.SparsityCoefficient), Num(run.Lr), Num(run.Steps, "0"), Num(run.Step), Num(run.Loss), Num(run.L0), Num(run.Fvu),
                Num(run.DeadFraction, "0.000"), RegistryLinks.Dictionary(run.DictionaryId),
                run.ParentRunId is { } p ? Link($"/sweeps/{Seg(p)}", p) : "-", Time(run.UpdatedAt),
            ]);
            return Layout.Page("Runs", $"""
                {form}
                {archivedNote}
                <form method="get" action="/compare" id="compare-form">
                <p><button type="submit">compare selected runs</button> <span class="muted">{Num(rows.Count)} run(s){(rows.Count == q.Limit ? $", the first {q.Limit}" : "")}</span></p>
                <div id="runs">{Html.Table(CompareTable.Headers("/runs", Columns, sort, q.Descending, filters), body, "(no run matches)")}</div>
                </form>
                """);
        });
}
