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
        ("max", "max act."), ("steering", "steering &Delta;p"), ("", "dashboard"),
    ];

    public static void Map(IEndpointRouteBuilder app) =>
        app.MapGet("/dictionaries/{id}", async (RegistryStore r, string id, string? sort, string? order, int? page, string? q, string? concept,
            string? auroc_min, string? auroc_max, string? steerable, string? dashboard, string? method, CancellationToken ct) =>
        {
            var d = await RegistryReads.DictionaryAsync(r, id, ct);
            var by = FeatureSort.Parse(sort, order);
            var filter = FeatureFilter.Parse(q, concept, auroc_min, auroc_max, steerable, dashboard, method);
            var table = await FeatureTable.QueryAsync(r, id, filter, by, page ?? 1, ct: ct);
            var dashboards = await r.Features.SearchAsync(id, new FeatureQuery(HasDashboard: true, Limit: 1), ct);
            var self = $"/dictionaries/{Seg(id)}";
            var filtered = filter.QueryString();
            string Header((string Key, string Title) c)
            {
                if (c.Key == "") return c.Title;
                var active = c.Key == by.Key;
                var nextOrder = active ? (by.Descending ? "asc" : "desc") : null;
                var arrow = active ? (by.Descending ? " &darr;" : " &uarr;") : "";
                return $"<a href=\"{E(self + "?sort=" + c.Key + (nextOrder is null ? "" : "&order=" + nextOrder) + filtered)}\">{c.Title}</a>{arrow}";
            }
            string PageLink(int p, string text) =>
                $"<a href=\"{E($"{self}?sort={by.Key}&order={(by.Descending ? "desc" : "asc")}&page={p}{filtered}")}\">{E(text)}</a>";
            var pager = $"""
                <p class="pager">{(table.Page > 1 ? PageLink(table.Page - 1, "previous") : "")}
                <span>page {table.Page} of {table.Pages} ({Num(table.Total)} {(filter.IsEmpty ? "features with stats or labels" : "features match")})</span>
                {(table.Page < table.Pages ? PageLink(table.Page + 1, "next") : "")}</p>
                """;
            var rows = table.Rows.Select(f => (IReadOnlyList<string>)
            [
                Link($"{self}/features/{f.Index}", f.Index.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                BestLabel(f), Concept(f.Concept), Num(f.Auroc, "0.000"), Num(f.Density, "0.0000"), Num(f.MaxActivation),
                f.Steering is { } s ? $"{Num(s.DeltaProb, "0.000")} {Steerable(s.Steerable)}" : "-",
                f.Images.ContainsKey("top_examples") ? "<span class=\"yes\">yes</span>" : "-",
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
                <p class="muted" id="dashboard-count">{Num(dashboards.Total)} of {Num(d.DSae)} features have a dashboard (top examples and histogram);
                <code>mminterp analyze clip --sae {E(d.Id)} --dashboards {d.DSae}</code> draws one for every live feature (the defence's and the steerable features first, then by detection AUROC).</p>
                {filter.Form(self, by)}
                {pager}
                <div id="features">{Html.Table(Columns.Select(Header).ToList(), rows, "(no feature has stats or labels yet)")}</div>
                """);
        });

    /// <summary>The table's label with its method beside it, so a manual label never passes for a measured one.</summary>
    public static string BestLabel(FeatureSummary f) =>
        f.BestLabel is not { } label ? "-"
        : $"{E(label)} <span class=\"method method-{E(LabelScales.Name(f.BestLabelMethod!.Value))}\">{E(LabelScales.Name(f.BestLabelMethod!.Value))}</span>"
          + (f.BestLabelMethod == Grains.Contracts.Experiments.LabelMethod.FreeLabel && LabelScales.OutsideVocabulary(f.Concept)
              ? $" <span class=\"outside\" title=\"{E(LabelScales.OutsideNote)}\">(concept outside vocabulary)</span>" : "");

    static string Concept(string? concept) => concept is null ? "-" : E(concept);

    public static string Steerable(bool? steerable) => steerable switch
    {
        true => "<span class=\"yes\">steerable</span>",
        false => "<span class=\"no\">not steerable</span>",
        null => "",
    };
}
