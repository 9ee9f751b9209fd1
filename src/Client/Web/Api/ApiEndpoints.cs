using System.Security.Claims;
using System.Text.Json.Nodes;
using MMInterp.Client.Registry;
using MMInterp.Client.Web.Auth;
using MMInterp.Client.Web.Features;
using MMInterp.Grains.Registry;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace MMInterp.Client.Web.Api;

/// <summary>
/// GET /api/... mirrors the pages (records in the registry's JSON spelling, as `registry show --json` prints them).
/// Every route needs a read token (the fallback policy); writes are in <see cref="ApiWrites"/>.
/// </summary>
public static class ApiEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api");
        api.MapGet("/whoami", (ClaimsPrincipal user) => Results.Json(new
        {
            user = user.Identity?.Name,
            token_id = user.FindFirstValue(WebAuth.TokenIdClaim),
            project = user.FindFirstValue(WebAuth.ProjectClaim),
            scopes = user.FindAll(WebAuth.ScopeClaim).Select(c => c.Value).ToArray(),
        }));
        api.MapGet("/overview", async (RegistryStore r, CancellationToken ct) =>
        {
            var c = await RegistryReads.CountsAsync(r, ct);
            return Results.Json(new
            {
                models = c.Models, activation_sets = c.ActivationSets, dictionaries = c.Dictionaries, runs = c.Runs, experiments = c.Experiments,
                counts_capped_at = RegistryReads.CountCap,
            });
        });

        api.MapGet("/models", async (RegistryStore r, int? limit, CancellationToken ct) => List(await r.Models.ListAsync(limit: limit ?? 100, ct: ct)));
        api.MapGet("/models/{id}", async (RegistryStore r, string id, CancellationToken ct) => One(await RegistryReads.ModelAsync(r, id, ct)));
        api.MapGet("/activation-sets", async (RegistryStore r, int? limit, CancellationToken ct) =>
            List(await r.ActivationSets.ListAsync(limit: limit ?? 100, ct: ct)));
        api.MapGet("/activation-sets/{id}", async (RegistryStore r, string id, CancellationToken ct) => One(await RegistryReads.ActivationSetAsync(r, id, ct)));
        api.MapGet("/dictionaries", async (RegistryStore r, int? limit, CancellationToken ct) => List(await r.Dictionaries.ListAsync(limit: limit ?? 100, ct: ct)));
        api.MapGet("/dictionaries/{id}", async (RegistryStore r, string id, CancellationToken ct) =>
        {
            var node = RecordJson.ToNode(await RegistryReads.DictionaryAsync(r, id, ct));
            var (features, labels) = await r.Features.CountAsync(id, ct);
            node["feature_rows"] = features;
            node["label_rows"] = labels;
            return Json(node);
        });
        // Filters as on the dictionary page: q (label text), concept, auroc_min, auroc_max, steerable, dashboard (yes/no), method.
        api.MapGet("/dictionaries/{id}/features", async (RegistryStore r, string id, string? sort, string? order, int? page, int? page_size, string? q, string? concept,
            string? auroc_min, string? auroc_max, string? steerable, string? dashboard, string? method, CancellationToken ct) =>
        {
            await RegistryReads.DictionaryAsync(r, id, ct);
            var filter = FeatureFilter.Parse(q, concept, auroc_min, auroc_max, steerable, dashboard, method);
            var table = await FeatureTable.QueryAsync(r, id, filter, FeatureSort.Parse(sort, order), page ?? 1, page_size ?? FeatureTable.DefaultPageSize, ct);
            return Json(new JsonObject
            {
                ["dictionary_id"] = id, ["total"] = table.Total, ["page"] = table.Page, ["pages"] = table.Pages, ["page_size"] = table.PageSize,
                ["features"] = new JsonArray(table.Rows.Select(f => (JsonNode?)RecordJson.ToNode(f)).ToArray()),
            });
        });
        api.MapGet("/dictionaries/{id}/features/{index:int}", async (RegistryStore r, string id, int index, CancellationToken ct) =>
        {
            var (_, row, labels) = await RegistryReads.FeatureAsync(r, id, index, ct);
            var node = RecordJson.ToNode(row);
            node["labels"] = JsonNode.Parse(RecordJson.FormatList(labels));
            node["best_label"] = FeatureSummary.From(row, labels).BestLabel;
            return Json(node);
        });
        // Run and experiment lists take the filters of `registry list`: type, status, model, since, until, q (experiments).
        api.MapGet("/runs", async (RegistryStore r, HttpRequest request, int? limit, CancellationToken ct) =>
            List(await r.Runs.SearchAsync(Pages.ListFilterForms.Runs(request, limit ?? 100), ct)));
        api.MapGet("/runs/{id}", async (RegistryStore r, string id, CancellationToken ct) =>
        {
            var node = RecordJson.ToNode(await RegistryReads.RunAsync(r, id, ct));
            node["metrics"] = JsonNode.Parse(RecordJson.FormatList(await r.Metrics.SummariseAsync(id, ct)));
            return Json(node);
        });
        api.MapGet("/experiments", async (RegistryStore r, HttpRequest request, int? limit, CancellationToken ct) =>
            List(await r.Experiments.SearchAsync(Pages.ListFilterForms.Experiments(request, limit ?? 100), ct)));
        api.MapGet("/experiments/{id}", async (RegistryStore r, string id, CancellationToken ct) => One(await RegistryReads.ExperimentAsync(r, id, ct)));
    }

    static IResult List<T>(IEnumerable<T> records) => Results.Text(RecordJson.FormatList(records), "application/json");

    static IResult One<T>(T record) => Results.Text(RecordJson.Format(record), "application/json");

    static IResult Json(JsonNode node) => Results.Text(node.ToJsonString(), "application/json");
}
