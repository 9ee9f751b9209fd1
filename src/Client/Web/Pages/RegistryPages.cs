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

        app.MapGet("/models", async (RegistryStore r, HttpRequest request, CancellationToken ct) =>
        {
            var (models, note) = await ArchivedRows.VisibleAsync(r, request, "model", await r.Models.ListAsync(limit: Limit, ct: ct), m => m.Id, ct);
            return Layout.Page("Models", note + Table(
            ["id", "name", "family", "checkpoint", "created"],
            models.Select(m => (IReadOnlyList<string>)
            [
                RegistryLinks.Model(m.Id), E(m.Name), E(RegistryNames.Name(m.Family)),
                m.CheckpointSha256 is { } sha ? $"<code title=\"{E(sha)}\">{E(Short(sha))}</code>" : "-", Time(m.CreatedAt),
            ])));
        });

        app.MapGet("/activation-sets", async (RegistryStore r, HttpRequest request, CancellationToken ct) =>
        {
            var (sets, note) = await ArchivedRows.VisibleAsync(r, request, "activation", await r.ActivationSets.ListAsync(limit: Limit, ct: ct), a => a.Id, ct);
            return Layout.Page("Activation sets", note + Table(
            ["id", "model", "hook points", "shards", "rows", "created"],
            sets.Select(a => (IReadOnlyList<string>)
            [
                RegistryLinks.ActivationSet(a.Id), RegistryLinks.Model(a.ModelId), E(string.Join(", ", a.HookPoints)), Num(a.ShardCount), Num(a.RowCount), Time(a.CreatedAt),
            ])));
        });

        // /dictionaries, /runs and /runs/{id}: DictionariesListPage, RunsListPage, RunPage (sortable compare columns, curves).

        app.MapGet("/experiments", async (RegistryStore r, HttpRequest request, CancellationToken ct) =>
        {
            var (experiments, note) = await ArchivedRows.VisibleAsync(r, request, "experiment", await r.Experiments.SearchAsync(ListFilterForms.Experiments(request, Limit), ct), x => x.Id, ct);
            return Layout.Page("Experiments", ListFilterForms.ExperimentForm(request) + note + Table(
            ["id", "name", "kind", "status", "created", "updated", "error"],
            experiments.Select(x => (IReadOnlyList<string>)
            [
                Link($"/experiments/{Seg(x.Id)}", x.Id), E(x.Name), E(x.Kind), StatusCells.Status(x.Status), Time(x.CreatedAt), Time(x.UpdatedAt),
                StatusCells.Error(x.Error),
            ])));
        });
    }
}
