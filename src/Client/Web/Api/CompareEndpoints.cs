using System.Text.Json.Nodes;
using MMInterp.Client.Registry;
using MMInterp.Client.Web.Features;
using MMInterp.Grains.Registry;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace MMInterp.Client.Web.Api;

/// <summary>
/// The compare and lineage reads as JSON, beside the pages that show them: metric series (every point), the compare
/// lists (same query parameters as /runs and /dictionaries), a comparison of picked runs, a sweep with its Pareto
/// front, and the rows downstream of a model, activation set or dictionary.
/// </summary>
public static class CompareEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api");
        api.MapGet("/runs/{id}/metrics", async (RegistryStore r, string id, CancellationToken ct) =>
        {
            await RegistryReads.RunAsync(r, id, ct);
            var series = new JsonArray();
            foreach (var m in await r.Metrics.SummariseAsync(id, ct))
                series.Add(Series(m.Name, await r.Metrics.ReadAsync(id, m.Name, ct: ct)));
            return Json(new JsonObject { ["run_id"] = id, ["series"] = series });
        });
        api.MapGet("/runs/{id}/metrics/{name}", async (RegistryStore r, string id, string name, long? from_step, long? to_step, CancellationToken ct) =>
        {
            await RegistryReads.RunAsync(r, id, ct);
            var points = await r.Metrics.ReadAsync(id, CompareQueries.Checked(name, "metric name"), from_step ?? 0, to_step ?? long.MaxValue, ct);
            if (points.Count == 0 && from_step is null && to_step is null) throw new KeyNotFoundException($"run '{id}' has no metric series '{name}'");
            var node = Series(name, points);
            node["run_id"] = id;
            return Json(node);
        });

        api.MapGet("/compare/runs", async (RegistryStore r, HttpRequest request, CancellationToken ct) =>
            Rows(CompareQueries.From(request), await r.Compare.RunsAsync(CompareQueries.From(request), ct)));
        api.MapGet("/compare/dictionaries", async (RegistryStore r, HttpRequest request, CancellationToken ct) =>
            Rows(CompareQueries.From(request), await r.Compare.DictionariesAsync(CompareQueries.From(request), ct)));
        api.MapGet("/compare", async (RegistryStore r, HttpRequest request, CancellationToken ct) =>
        {
            var compared = await RunComparison.LoadAsync(r, RunComparison.Ids(request), ct);
            var runs = new JsonArray();
            foreach (var run in compared.Runs)
            {
                var node = RecordJson.ToNode(run);
                node["metrics"] = JsonNode.Parse(RecordJson.FormatList(await r.Metrics.SummariseAsync(run.Id, ct)));
                runs.Add(node);
            }
            return Json(new JsonObject { ["runs"] = runs });
        });

        api.MapGet("/sweeps/{id}", async (RegistryStore r, string id, CancellationToken ct) =>
        {
            var view = await SweepView.LoadAsync(r, id, ct);
            var members = new JsonArray(view.Members.Select(m =>
            {
                var node = RecordJson.ToNode(m.Run);
                node["axis_values"] = new JsonObject(m.Values.Select(v => KeyValuePair.Create(v.Axis, (JsonNode?)JsonValue.Create(v.Value))));
                node["label"] = m.Label;
                node["on_front"] = m.OnFront;
                return (JsonNode?)node;
            }).ToArray());
            return Json(new JsonObject
            {
                ["sweep"] = RecordJson.ToNode(view.Sweep), ["axes"] = new JsonArray(view.Axes.Select(a => (JsonNode?)a).ToArray()),
                ["members"] = members, ["front"] = new JsonArray(view.Front.Select(m => (JsonNode?)m.Run.Id).ToArray()),
            });
        });

        api.MapGet("/models/{id}/lineage", async (RegistryStore r, string id, CancellationToken ct) =>
        {
            await RegistryReads.ModelAsync(r, id, ct);
            var sets = (await r.ActivationSets.ListAsync(modelId: id, limit: 1000, ct: ct)).Select(s => s.Id).ToList();
            var dictionaries = (await r.Compare.DictionariesAsync(new CompareQuery(ModelId: id, Limit: 1000), ct)).Select(d => d.Id).ToList();
            var runs = (await r.Compare.RunsAsync(new CompareQuery(ModelId: id, Limit: 1000), ct)).Select(x => x.Id)
                .Concat((await r.Lineage.RunsNamingAsync(id, ct: ct)).Select(x => x.Id)).Distinct().ToList();
            var experiments = await r.Lineage.ExperimentsNamingAsync([id, .. sets, .. dictionaries, .. runs], ct: ct);
            return Lineage(id, "model", [("activation_sets", sets), ("dictionaries", dictionaries), ("runs", runs), ("experiments", experiments.Select(x => x.Id).ToList())]);
        });
        api.MapGet("/activation-sets/{id}/lineage", async (RegistryStore r, string id, CancellationToken ct) =>
        {
            var set = await RegistryReads.ActivationSetAsync(r, id, ct);
            var dictionaries = (await r.Compare.DictionariesAsync(new CompareQuery(ActivationSetId: id, Limit: 1000), ct)).Select(d => d.Id).ToList();
            var runs = (await r.Compare.RunsAsync(new CompareQuery(ActivationSetId: id, Limit: 1000), ct)).Select(x => x.Id)
                .Concat((await r.Lineage.RunsNamingAsync(id, ct: ct)).Select(x => x.Id)).Distinct().ToList();
            var experiments = await r.Lineage.ExperimentsNamingAsync([id, .. dictionaries, .. runs], ct: ct);
            return Lineage(id, "activation_set", [("model", [set.ModelId]), ("extraction_run", set.ExtractionRunId is { } e ? [e] : []),
                ("dictionaries", dictionaries), ("runs", runs), ("experiments", experiments.Select(x => x.Id).ToList())]);
        });
        api.MapGet("/dictionaries/{id}/lineage", async (RegistryStore r, string id, CancellationToken ct) =>
        {
            var d = await RegistryReads.DictionaryAsync(r, id, ct);
            var experiments = await r.Lineage.ExperimentsNamingAsync([id], ct: ct);
            return Lineage(id, "dictionary", [("model", [d.ModelId]), ("activation_set", d.ActivationSetId is { } a ? [a] : []),
                ("training_run", d.TrainingRunId is { } t ? [t] : []), ("experiments", experiments.Select(x => x.Id).ToList())]);
        });
    }

    static JsonObject Series(string name, IEnumerable<StepValue> points) => new()
    {
        ["name"] = name,
        ["points"] = new JsonArray(points.Select(p => (JsonNode?)new JsonObject { ["step"] = p.Step, ["value"] = double.IsFinite(p.Value) ? p.Value : null }).ToArray()),
    };

    static IResult Rows<T>(CompareQuery q, IEnumerable<T> rows) => Json(new JsonObject
    {
        ["sort"] = q.Sort ?? "created", ["order"] = q.Descending ? "desc" : "asc",
        ["rows"] = new JsonArray(rows.Select(x => (JsonNode?)RecordJson.ToNode(x)).ToArray()),
    });

    static IResult Lineage(string id, string kind, IEnumerable<(string Key, List<string> Ids)> parts)
    {
        var node = new JsonObject { ["id"] = id, ["kind"] = kind };
        foreach (var (key, ids) in parts) node[key] = new JsonArray(ids.Select(x => (JsonNode?)x).ToArray());
        return Json(node);
    }

    static IResult Json(JsonNode node) => Results.Text(node.ToJsonString(), "application/json");
}
