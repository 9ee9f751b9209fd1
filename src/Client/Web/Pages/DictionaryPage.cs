using MMInterp.Client.Web.Api;
using MMInterp.Client.Web.Features;
using MMInterp.Client.Web.Rendering;
using MMInterp.Grains.Registry;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using static MMInterp.Client.Web.Rendering.Html;

namespace MMInterp.Client.Web.Pages;

/// <summary>A dictionary's lineage and metrics, then its feature table: sortable by clicking a column, paged.</summary>
public static class DictionaryPage
{
    static readonly (string Key, string Title)[] Columns =
    [
        ("index", "feature"), ("label", "label"), ("concept", "best concept"), ("auroc", "AUROC"), ("density", "density"),
        ("max", "max act."), ("steering", "steering &Delta;p"),
    ];

    public static void Map(IEndpointRouteBuilder app) =>
        app.MapGet("/dictionaries/{id}", async (RegistryStore r, string id, string? sort, string? order, int? page, CancellationToken ct) =>
        {
            var d = await RegistryReads.DictionaryAsync(r, id, ct);
            var by = FeatureSort.Parse(sort, order);
            var table = FeatureTable.Page(await FeatureTable.LoadAsync(r, id, ct), by, page ?? 1);
            var self = $"/dictionaries/{Seg(id)}";
            string Header((string Key, string Title) c)
            {
                var active = c.Key == by.Key;
                var nextOrder = active ? (by.Descending ? "asc" : "desc") : null;
                var arrow = active ? (by.Descending ? " &darr;" : " &uarr;") : "";
                return $"<a href=\"{E(self + "?sort=" + c.Key + (nextOrder is null ? "" : "&order=" + nextOrder))}\">{c.Title}</a>{arrow}";
            }
            string PageLink(int p, string text) =>
                $"<a href=\"{E($"{self}?sort={by.Key}&order={(by.Descending ? "desc" : "asc")}&page={p}")}\">{E(text)}</a>";
            var pager = $"""
                <p class="pager">{(table.Page > 1 ? PageLink(table.Page - 1, "previous") : "")}
                <span>page {table.Page} of {table.Pages} ({Num(table.Total)} features with stats or labels)</span>
                {(table.Page < table.Pages ? PageLink(table.Page + 1, "next") : "")}</p>
                """;
            var rows = table.Rows.Select(f => (IReadOnlyList<string>)
            [
                Link($"{self}/features/{f.Index}", f.Index.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                E(f.BestLabel ?? "-"), E(f.Concept ?? "-"), Num(f.Auroc, "0.000"), Num(f.Density, "0.0000"), Num(f.MaxActivation),
                f.Steering is { } s ? $"{Num(s.DeltaProb, "0.000")} {Steerable(s.Steerable)}" : "-",
            ]);
            return Layout.Page($"Dictionary {d.Id}", $"""
                {Html.Table(["model", "hook point", "architecture", "d_in", "d_sae", "activation set", "training run", "checkpoint"], [[
                    RegistryLinks.Model(d.ModelId), E(d.HookPoint), E(RegistryNames.Name(d.Architecture)), Num(d.DIn), Num(d.DSae),
                    RegistryLinks.ActivationSet(d.ActivationSetId), RegistryLinks.Run(d.TrainingRunId), $"<code>{E(Short(d.CheckpointSha256))}</code>"]])}
                <h2>Experiments that name this dictionary</h2>
                {RegistryLinks.List(await r.Lineage.ExperimentsNamingAsync([d.Id], ct: ct), "experiments")}
                <h2>Metrics</h2>
                {Json(d.MetricsJson)}
                <h2>Features</h2>
                {pager}
                <div id="features">{Html.Table(Columns.Select(Header).ToList(), rows, "(no feature has stats or labels yet)")}</div>
                """);
        });

    public static string Steerable(bool? steerable) => steerable switch
    {
        true => "<span class=\"yes\">steerable</span>",
        false => "<span class=\"no\">not steerable</span>",
        null => "",
    };
}
