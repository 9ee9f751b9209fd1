using System.Text.Json.Nodes;
using MMInterp.Client.Web.Api;
using MMInterp.Client.Web.Features;
using MMInterp.Client.Web.Rendering;
using MMInterp.Grains.Registry;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using static MMInterp.Client.Web.Rendering.Html;

namespace MMInterp.Client.Web.Pages;

/// <summary>
/// One experiment, for any kind (steering, VLM tracing, diffusion, ...): results.figures as a table, results.images
/// (name -> sha256 of a PNG) inline, every other result key and the config as JSON.
/// </summary>
public static class ExperimentPage
{
    public static void Map(IEndpointRouteBuilder app) =>
        app.MapGet("/experiments/{id}", async (RegistryStore r, string id, CancellationToken ct) =>
        {
            var x = await RegistryReads.ExperimentAsync(r, id, ct);
            var results = JsonNode.Parse(x.ResultsJson) as JsonObject ?? [];
            var figures = results["figures"] as JsonObject ?? [];
            var images = (results["images"] as JsonObject ?? [])
                .Select(p => (p.Key, Sha: p.Value is JsonValue v && v.TryGetValue<string>(out var s) ? s : null))
                .Where(p => p.Sha is { } s && FeatureSummary.IsSha(s))
                .ToList();
            var rest = new JsonObject();
            foreach (var (key, value) in results)
                if (key is not ("figures" or "images") && !(key == "controls" && value is JsonArray)) rest[key] = value?.DeepClone();
            var beside = ControlsTable(results);
            var runs = (await r.Runs.ListAsync(limit: 1000, ct: ct)).Where(run => run.ExperimentId == id).ToList();
            return Layout.Page($"Experiment {x.Name}", $"""
                <p><code>{E(x.Id)}</code> &middot; kind <b>{E(x.Kind)}</b> &middot; updated {Time(x.UpdatedAt)}</p>
                {(x.Description.Length > 0 ? $"<p>{E(x.Description)}</p>" : "")}
                {(beside.Length > 0 ? "<h2>Figures beside their controls</h2>" + beside : "")}
                <h2>Figures</h2>
                <div id="figures">{Table(["figure", "value"], figures.Select(f => (IReadOnlyList<string>)[E(f.Key), Value(f.Value)]))}</div>
                <h2>Images</h2>
                <div id="images">{(images.Count == 0 ? "<p class=\"empty\">(none)</p>" : string.Concat(images.Select(i =>
                    $"<figure>{ArtefactImage(i.Sha!, i.Key, "image-" + i.Key)}<figcaption>{E(i.Key)}</figcaption></figure>")))}</div>
                {(rest.Count > 0 ? "<h2>Other results</h2>" + Json(rest.ToJsonString()) : "")}
                <h2>Runs</h2>
                {Table(["run", "kind", "status"], runs.Select(run => (IReadOnlyList<string>)
                    [Link($"/runs/{Seg(run.Id)}", run.Id), E(RegistryNames.Name(run.Kind)), E(RegistryNames.Name(run.Status))]))}
                <h2>Refers to</h2>
                {await LineageSection.RefersToAsync(r, x.Id, "refers-to", ct, x.ConfigJson, x.ResultsJson)}
                <h2>Config</h2>
                {Json(x.ConfigJson)}
                """);
        });

    /// <summary>Studies that record which controls go with which figure (results.controls: [{figure, controls, meaning}],
    /// the CLIP study on a dataset) get a table of each figure beside its controls; empty otherwise.</summary>
    public static string ControlsTable(JsonObject results)
    {
        if (results["controls"] is not JsonArray list) return "";
        var figures = results["figures"] as JsonObject ?? [];
        var rows = list.OfType<JsonObject>().Select(c =>
        {
            var name = c["figure"]?.GetValue<string>() ?? "";
            var parts = (c["controls"] as JsonArray ?? []).Select(x => x?.GetValue<string>() ?? "").Select(x => $"{E(x)} {Value(figures[x])}");
            return (IReadOnlyList<string>)[E(name), Value(figures[name]), string.Join("; ", parts), E(c["meaning"]?.GetValue<string>())];
        }).ToList();
        return rows.Count == 0 ? "" : "<div id=\"controls\">" + Table(["figure", "value", "controls (same run)", "meaning"], rows) + "</div>";
    }

    static string Value(JsonNode? value) => value switch
    {
        JsonValue v when v.TryGetValue<double>(out var d) => Num(d),
        JsonValue v when v.TryGetValue<string>(out var s) => E(s),
        null => "-",
        _ => $"<code>{E(value.ToJsonString())}</code>",
    };
}
