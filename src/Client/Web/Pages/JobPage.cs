using System.Text.Json.Nodes;
using MMInterp.Client.Web.Api;
using MMInterp.Client.Web.Rendering;
using MMInterp.Grains.Registry;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using static MMInterp.Client.Web.Rendering.Html;

namespace MMInterp.Client.Web.Pages;

/// <summary>
/// /jobs/{id}: following a submitted job (any run, sweep or experiment id): its status, stage and progress, the
/// grain's live note while it runs, its error when it failed, and once it succeeded links to what it made (the
/// activation set, the dictionary and its metrics, the sweep page and its points, the experiment). Drawn from the
/// report GET /api/jobs/{id} serves (<see cref="ApiJobs.ReportAsync"/>). Pages run no scripts, so while the job runs
/// the page reloads itself every few seconds (a meta refresh).
/// </summary>
public static class JobPage
{
    public const int RefreshSeconds = 2;

    public static string Path(string id) => $"/jobs/{Seg(id)}";

    public static void Map(IEndpointRouteBuilder app) =>
        app.MapGet("/jobs/{id}", async (RegistryStore r, WebCluster c, string id, CancellationToken ct) =>
        {
            var run = await RegistryReads.RunAsync(r, id, ct);
            var report = await ApiJobs.ReportAsync(r, c, id, ct);
            var live = report["live"] is JsonObject l
                ? $"<p id=\"job-live\">now: {E((string?)l["phase"])} {Num(Number(l["done"]), "0")} / {Num(Number(l["total"]), "0")}{((string?)l["note"] is { Length: > 0 } note ? " &middot; " + E(note) : "")}</p>"
                : "";
            var following = run.IsTerminal
                ? ""
                : $"<p class=\"muted\" id=\"job-following\">This page reloads every {RefreshSeconds} seconds until the job ends ({Link(Path(id), "reload now")}).</p>";
            return Layout.Page($"Job {run.Id}", $"""
                {Table(["kind", "status", "stage", "progress", "step", "submitted", "started", "finished"], [[
                    E(RegistryNames.Name(run.Kind)), $"<span id=\"job-status\">{StatusCells.Status(run.Status)}</span>", E(run.Stage ?? "-"),
                    $"<span id=\"job-progress\">{Num(run.Progress * 100, "0")}%</span>", $"{Num(run.Step)}{(run.TotalSteps is { } t ? " / " + Num(t) : "")}",
                    Time(run.CreatedAt), Time(run.StartedAt), Time(run.FinishedAt)]])}
                {live}
                {(run.Error is { } err ? $"<p class=\"error\" id=\"job-error\">{E(WebText.Printable(err))}</p>" : "")}
                {following}
                <h2>Result</h2>
                <div id="job-result">{Result(run, report["result"] as JsonObject)}</div>
                <p class="muted">The run's page: {RegistryLinks.RunOrSweep(id, run.Kind)}{(run.ExperimentId is { } x && x != id ? " &middot; experiment " + RegistryLinks.Experiment(x) : "")}
                &middot; as JSON: <a href="/api/jobs/{Seg(id)}">/api/jobs/{E(id)}</a> &middot; {Link("/submit", "submit more work")}</p>
                """, refreshSeconds: run.IsTerminal ? null : RefreshSeconds);
        });

    /// <summary>A number of the report, whatever its CLR type (the report is built in process: an int is not read as a long).</summary>
    static double? Number(JsonNode? node) =>
        node is JsonValue v && double.TryParse(v.ToJsonString(), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var d) ? d : null;

    static string Result(RunRecord run, JsonObject? result)
    {
        if (run.Status != RunStatus.Succeeded)
            return $"<p class=\"empty\">{(run.IsTerminal ? "(the job made nothing: it did not succeed)" : "(not yet: the job has not finished)")}</p>";
        if (result is null) return "<p class=\"empty\">(the job succeeded; what it made is on its run page)</p>";
        if ((string?)result["activation_set"] is { } set)
            return $"<p>Activation set {RegistryLinks.ActivationSet(set)}: train an SAE on it from {Link("/submit#train-sae", "the submit page")}.</p>";
        if ((string?)result["dictionary"] is { } dictionary)
        {
            var metrics = result["metrics"] as JsonObject ?? [];
            return $"<p>Dictionary {RegistryLinks.Dictionary(dictionary)}</p>" + Table(["metric", "value"],
                metrics.Where(m => m.Value is JsonValue).Select(m => (IReadOnlyList<string>)
                    [E(m.Key), Number(m.Value) is { } v ? Num(v, "G4") : E(m.Value!.ToJsonString())]));
        }
        if ((string?)result["experiment"] is { } experiment)
            return $"<p>Experiment {RegistryLinks.Experiment(experiment)}: its figures, grouped with their controls.</p>";
        if (result["points"] is JsonArray points)
            return $"<p>{Link(RegistryLinks.Path("sweep", run.Id), "The sweep page")}: members, Pareto table and plot.</p>" + Table(
                ["setting", "run", "status", "L0", "FVU", "on the front"],
                points.OfType<JsonObject>().Select(p => (IReadOnlyList<string>)
                [
                    E((string?)p["setting"]), RegistryLinks.Run((string?)p["run"]), E((string?)p["status"]), Num(Number(p["l0"])), Num(Number(p["fvu"])),
                    (bool?)p["on_front"] == true ? "yes" : "",
                ]));
        return Json(result.ToJsonString());
    }
}
