using System.Security.Claims;
using MMInterp.Client.Web.Api;
using MMInterp.Client.Web.Auth;
using MMInterp.Client.Web.Rendering;
using MMInterp.Grains.Registry;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using static MMInterp.Client.Web.Rendering.Html;

namespace MMInterp.Client.Web.Pages;

/// <summary>The registry browser: overview counts and one list page per kind (newest first).</summary>
public static class RegistryPages
{
    const int Limit = 200;

    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/", async (RegistryStore r, ClaimsPrincipal user, CancellationToken ct) =>
        {
            var c = await RegistryReads.CountsAsync(r, ct);
            string Card(string href, string what, int n) =>
                $"<div class=\"card\"><div class=\"n\">{(n >= RegistryReads.CountCap ? Num(n) + "+" : Num(n))}</div>{Link(href, what)}</div>";
            var scopes = string.Join(", ", user.FindAll(WebAuth.ScopeClaim).Select(s => s.Value));
            return Layout.Page("Overview", $"""
                <div class="cards" id="counts">
                {Card("/models", "models", c.Models)}{Card("/activation-sets", "activation sets", c.ActivationSets)}
                {Card("/dictionaries", "dictionaries", c.Dictionaries)}{Card("/runs", "runs", c.Runs)}{Card("/experiments", "experiments", c.Experiments)}
                </div>
                <p class="muted">Logged in as {E(user.Identity?.Name)} (token {E(user.FindFirstValue(WebAuth.TokenIdClaim))}, scopes: {E(scopes)}).</p>
                """);
        });

        app.MapGet("/models", async (RegistryStore r, CancellationToken ct) => Layout.Page("Models", Table(
            ["id", "name", "family", "checkpoint", "created"],
            (await r.Models.ListAsync(limit: Limit, ct: ct)).Select(m => (IReadOnlyList<string>)
            [
                E(m.Id), E(m.Name), E(RegistryNames.Name(m.Family)),
                m.CheckpointSha256 is { } sha ? $"<code title=\"{E(sha)}\">{E(Short(sha))}</code>" : "-", Time(m.CreatedAt),
            ]))));

        app.MapGet("/activation-sets", async (RegistryStore r, CancellationToken ct) => Layout.Page("Activation sets", Table(
            ["id", "model", "hook points", "shards", "rows", "created"],
            (await r.ActivationSets.ListAsync(limit: Limit, ct: ct)).Select(a => (IReadOnlyList<string>)
            [
                E(a.Id), E(a.ModelId), E(string.Join(", ", a.HookPoints)), Num(a.ShardCount), Num(a.RowCount), Time(a.CreatedAt),
            ]))));

        app.MapGet("/dictionaries", async (RegistryStore r, CancellationToken ct) =>
        {
            var rows = new List<IReadOnlyList<string>>();
            foreach (var d in await r.Dictionaries.ListAsync(limit: Limit, ct: ct))
            {
                var (features, labels) = await r.Features.CountAsync(d.Id, ct);
                rows.Add([
                    Link($"/dictionaries/{Seg(d.Id)}", d.Id), E(d.ModelId), E(d.HookPoint), E(RegistryNames.Name(d.Architecture)),
                    Num(d.DIn), Num(d.DSae), Num(features), Num(labels), Time(d.CreatedAt),
                ]);
            }
            return Layout.Page("Dictionaries", Table(["id", "model", "hook point", "architecture", "d_in", "d_sae", "feature rows", "labels", "created"], rows));
        });

        app.MapGet("/runs", async (RegistryStore r, CancellationToken ct) =>
        {
            var rows = new List<IReadOnlyList<string>>();
            foreach (var run in await r.Runs.ListAsync(limit: Limit, ct: ct))
            {
                var metrics = await r.Metrics.SummariseAsync(run.Id, ct);
                rows.Add([
                    Link($"/runs/{Seg(run.Id)}", run.Id), E(RegistryNames.Name(run.Kind)), StatusCells.Status(run.Status),
                    $"{Num(run.Progress * 100, "0")}%", $"{Num(run.Step)}{(run.TotalSteps is { } t ? " / " + Num(t) : "")}",
                    E(string.Join(", ", metrics.Select(m => $"{m.Name}={Num(m.LastValue)}"))), Time(run.UpdatedAt), StatusCells.Error(run.Error),
                ]);
            }
            return Layout.Page("Runs", Table(["id", "kind", "status", "progress", "step", "metrics (last)", "updated", "error"], rows));
        });

        app.MapGet("/runs/{id}", async (RegistryStore r, string id, CancellationToken ct) =>
        {
            var run = await RegistryReads.RunAsync(r, id, ct);
            var metrics = await r.Metrics.SummariseAsync(id, ct);
            return Layout.Page($"Run {run.Id}", $"""
                {Table(["kind", "status", "progress", "step", "started", "finished", "parent", "experiment"], [[
                    E(RegistryNames.Name(run.Kind)), StatusCells.Status(run.Status), $"{Num(run.Progress * 100, "0")}%",
                    $"{Num(run.Step)}{(run.TotalSteps is { } t ? " / " + Num(t) : "")}", Time(run.StartedAt), Time(run.FinishedAt),
                    run.ParentRunId is { } p ? Link($"/runs/{Seg(p)}", p) : "-",
                    run.ExperimentId is { } x ? Link($"/experiments/{Seg(x)}", x) : "-"]])}
                {(run.Error is { } err ? $"<p class=\"error\">{E(err)}</p>" : "")}
                <h2>Metric series</h2>
                {Table(["name", "points", "steps", "last value"], metrics.Select(m => (IReadOnlyList<string>)
                    [E(m.Name), Num(m.Points), $"{Num(m.FirstStep)}-{Num(m.LastStep)}", Num(m.LastValue, "G6")]))}
                <h2>Config</h2>
                {Json(run.ConfigJson)}
                """);
        });

        app.MapGet("/experiments", async (RegistryStore r, CancellationToken ct) => Layout.Page("Experiments", Table(
            ["id", "name", "kind", "status", "created", "updated", "error"],
            (await r.Experiments.ListAsync(limit: Limit, ct: ct)).Select(x => (IReadOnlyList<string>)
            [
                Link($"/experiments/{Seg(x.Id)}", x.Id), E(x.Name), E(x.Kind), StatusCells.Status(x.Status), Time(x.CreatedAt), Time(x.UpdatedAt),
                StatusCells.Error(x.Error),
            ]))));
    }
}
