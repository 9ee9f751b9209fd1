using System.Text.Json.Nodes;
using MMInterp.Client.Reports;
using MMInterp.Client.Web.Api;
using MMInterp.Client.Web.Features;
using MMInterp.Client.Web.Rendering;
using MMInterp.Grains.Registry;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using static MMInterp.Client.Web.Rendering.Html;

namespace MMInterp.Client.Web.Pages;

/// <summary>
/// One experiment, for any kind (steering, VLM tracing, diffusion, ...): results.figures grouped headline-first with their
/// controls (<see cref="ExperimentFigures"/>, as the CLI and the report group them), results.images
/// (name -> sha256 of a PNG) inline, every other result key and the config as JSON.
/// </summary>
public static class ExperimentPage
{
    public static void Map(IEndpointRouteBuilder app) =>
        app.MapGet("/experiments/{id}", async (RegistryStore r, WebCluster c, string id, CancellationToken ct) =>
        {
            var x = await RegistryReads.ExperimentAsync(r, id, ct);
            // Its stage while it runs, from the experiment grain (the registry row records no stage).
            var live = await LiveProgress.HtmlAsync(c, RunKind.Analysis, id, x.IsTerminal, ct);
            var results = JsonNode.Parse(x.ResultsJson) as JsonObject ?? [];
            var images = (results["images"] as JsonObject ?? [])
                .Select(p => (p.Key, Sha: p.Value is JsonValue v && v.TryGetValue<string>(out var s) ? s : null))
                .Where(p => p.Sha is { } s && FeatureSummary.IsSha(s))
                .ToList();
            var rest = new JsonObject();
            foreach (var (key, value) in results)
                if (key is not ("figures" or "images") && !(key == "controls" && value is JsonArray)) rest[key] = value?.DeepClone();
            var drawn = new HashSet<string>();
            var figureHtml = ExperimentFigures.Html(FigureLayout.Of(x.Kind, results),
                images.ToDictionary(i => i.Key, i => i.Sha!), drawn);
            images = images.Where(i => !drawn.Contains(i.Key)).ToList();
            var runs = (await r.Runs.ListAsync(limit: 1000, ct: ct)).Where(run => run.ExperimentId == id).ToList();
            return Layout.Page($"Experiment {x.Name}", $"""
                <p><code>{E(x.Id)}</code> &middot; kind <b>{E(x.Kind)}</b> &middot; <span id="status">{StatusCells.Status(x.Status)}</span> &middot; updated {Time(x.UpdatedAt)}</p>
                {live}
                {(x.Error is { Length: > 0 } err ? $"<p class=\"error\" id=\"error\">failed: {E(err)}</p>" : "")}
                {(x.Description.Length > 0 ? $"<p>{E(x.Description)}</p>" : "")}
                {figureHtml}
                <h2>Images</h2>
                <div id="images">{(images.Count == 0 ? "<p class=\"empty\">(none)</p>" : string.Concat(images.Select(i =>
                    $"<figure>{ArtefactImage(i.Sha!, i.Key, "image-" + i.Key)}<figcaption>{E(i.Key)}</figcaption></figure>")))}</div>
                {(rest.Count > 0 ? "<h2>Other results</h2>" + Json(rest.ToJsonString()) : "")}
                <h2>Runs</h2>
                {Table(["run", "kind", "status", "error"], runs.Select(run => (IReadOnlyList<string>)
                    [Link($"/runs/{Seg(run.Id)}", run.Id), E(RegistryNames.Name(run.Kind)), StatusCells.Status(run.Status), StatusCells.Error(run.Error)]))}
                <h2>Refers to</h2>
                {await LineageSection.RefersToAsync(r, x.Id, "refers-to", ct, x.ConfigJson, x.ResultsJson)}
                <h2>Config</h2>
                {Json(x.ConfigJson)}
                """);
        });
}
