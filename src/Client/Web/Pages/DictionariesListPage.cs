using MMInterp.Client.Web.Api;
using MMInterp.Client.Web.Rendering;
using MMInterp.Grains.Registry;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using static MMInterp.Client.Web.Rendering.Html;

namespace MMInterp.Client.Web.Pages;

/// <summary>
/// /dictionaries: every dictionary with its lineage, size and settings and its stored L0, FVU, dead fraction and MSE,
/// sortable by any column and filtered by model, activation set, hook, architecture and metric bounds (query string).
/// </summary>
public static class DictionariesListPage
{
    static readonly (string? Key, string Title)[] Columns =
    [
        ("id", "dictionary"), ("model", "model"), (null, "activation set"), ("hook", "hook point"), ("layer", "layer"),
        ("architecture", "arch."), ("d_in", "d_in"), ("d_sae", "width"), ("k", "k"), ("sparsity", "l1 coeff."), ("steps", "steps"),
        ("l0", "L0"), ("fvu", "FVU"), ("dead", "dead frac."), ("mse", "MSE"), ("features", "feature rows"), ("labels", "labels"),
        (null, "training run"), ("created", "created"),
    ];

    public static void Map(IEndpointRouteBuilder app) =>
        app.MapGet("/dictionaries", async (RegistryStore r, HttpRequest request, CancellationToken ct) =>
        {
            var q = CompareQueries.From(request);
            var rows = await r.Compare.DictionariesAsync(q, ct);
            var (shown, archivedNote) = await ArchivedRows.VisibleAsync(r, request, "dictionary", rows, x => x.Id, ct);
            var sort = string.IsNullOrWhiteSpace(q.Sort) ? "created" : q.Sort.Trim().ToLowerInvariant();
            var filters = CompareQueries.FilterValues(request);
            string Value(string key) => filters.FirstOrDefault(f => f.Key == key).Value ?? "";
            var form = CompareTable.FilterForm("/dictionaries", sort, q.Descending,
            [
                ("model", "model", Value("model"), null), ("activation_set", "activation set", Value("activation_set"), null),
                ("hook", "hook", Value("hook"), null),
                ("architecture", "arch.", Value("architecture"), Enum.GetValues<SaeArchitecture>().Select(RegistryNames.Name).ToList()),
                ("max_fvu", "FVU &le;", Value("max_fvu"), null), ("max_l0", "L0 &le;", Value("max_l0"), null),
            ]);
            var body = shown.Select(d => (IReadOnlyList<string>)
            [
                RegistryLinks.Dictionary(d.Id), RegistryLinks.Model(d.ModelId), RegistryLinks.ActivationSet(d.ActivationSetId), E(d.HookPoint),
                Num(d.Layer), E(RegistryNames.Name(d.Architecture)), Num(d.DIn), Num(d.DSae), Num(d.K, "0"), Num(d.SparsityCoefficient),
                Num(d.Steps, "0"), Num(d.L0), Num(d.Fvu), Num(d.DeadFraction, "0.000"), Num(d.Mse), Num(d.FeatureRows), Num(d.LabelRows),
                RegistryLinks.Run(d.TrainingRunId), Time(d.CreatedAt),
            ]);
            return Layout.Page("Dictionaries", $"""
                {form}
                {archivedNote}
                <p class="muted">{Num(rows.Count)} dictionar{(rows.Count == 1 ? "y" : "ies")}{(rows.Count == q.Limit ? $", the first {q.Limit}" : "")}</p>
                <div id="dictionaries">{Html.Table(CompareTable.Headers("/dictionaries", Columns, sort, q.Descending, filters), body, "(no dictionary matches)")}</div>
                """);
        });
}
