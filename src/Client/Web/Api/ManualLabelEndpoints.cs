using System.Security.Claims;
using System.Text.Json.Nodes;
using MMInterp.Client.Registry;
using MMInterp.Client.Web.Auth;
using MMInterp.Grains.Registry;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using static MMInterp.Client.Web.Rendering.Html;

namespace MMInterp.Client.Web.Api;

/// <summary>
/// Editing and deleting manual labels (write scope), for programs (PATCH/DELETE under /api) and for the dashboard's
/// forms (POST .../edit and .../delete, answered with a redirect back), and reading who changed what (read scope).
/// </summary>
public static class ManualLabelEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        const string Label = "/dictionaries/{id}/features/{index:int}/labels/{labelId:long}";

        // Body: {"label": "new text"} and/or {"score": 0.5}.
        app.MapMethods("/api" + Label, ["PATCH"], async (HttpRequest request, RegistryStore r, ClaimsPrincipal user, string id, int index, long labelId, CancellationToken ct) =>
        {
            var body = await JsonNode.ParseAsync(request.Body, cancellationToken: ct) as JsonObject
                       ?? throw new ArgumentException("the body must be a JSON object such as {\"label\": \"red\"} or {\"score\": 0.5}");
            string? label = body["label"] switch
            {
                null => null,
                JsonValue v when ApiWrites.TryString(v, out var s) => s,
                _ => throw new ArgumentException("body.label must be a string of valid Unicode text"),
            };
            double? score = body["score"] switch
            {
                null => null,
                JsonValue v when v.TryGetValue<double>(out var d) => d,
                _ => throw new ArgumentException("body.score must be a number"),
            };
            var record = await ManualLabels.EditAsync(r, id, index, labelId, label, score, ManualLabels.Author(user), ct);
            return Results.Text(RecordJson.Format(record), "application/json");
        }).RequireAuthorization(WebAuth.WritePolicy).DisableAntiforgery(); // CsrfGuard refuses cookie-borne API writes

        app.MapDelete("/api" + Label, async (RegistryStore r, ClaimsPrincipal user, string id, int index, long labelId, CancellationToken ct) =>
            Results.Text(RecordJson.Format(await ManualLabels.DeleteAsync(r, id, index, labelId, ManualLabels.Author(user), ct)), "application/json"))
            .RequireAuthorization(WebAuth.WritePolicy).DisableAntiforgery();

        app.MapGet("/api/dictionaries/{id}/features/{index:int}/label-history", async (RegistryStore r, string id, int index, CancellationToken ct) =>
        {
            await RegistryReads.DictionaryAsync(r, id, ct);
            return Results.Text(RecordJson.FormatList(await r.Features.GetLabelHistoryAsync(id, index, ct)), "application/json");
        });

        app.MapPost(Label + "/edit", async (HttpRequest request, RegistryStore r, ClaimsPrincipal user, string id, int index, long labelId, CancellationToken ct) =>
        {
            var form = await RequestBodies.FormAsync(request, ct);
            await ManualLabels.EditAsync(r, id, index, labelId, form["label"].ToString(), null, ManualLabels.Author(user), ct);
            return Results.Redirect($"/dictionaries/{Seg(id)}/features/{index}", permanent: false);
        }).RequireAuthorization(WebAuth.WritePolicy).DisableAntiforgery(); // CsrfGuard checks cookie posts (origin and token)

        app.MapPost(Label + "/delete", async (HttpRequest request, RegistryStore r, ClaimsPrincipal user, string id, int index, long labelId, CancellationToken ct) =>
        {
            await RequestBodies.FormAsync(request, ct);
            await ManualLabels.DeleteAsync(r, id, index, labelId, ManualLabels.Author(user), ct);
            return Results.Redirect($"/dictionaries/{Seg(id)}/features/{index}", permanent: false);
        }).RequireAuthorization(WebAuth.WritePolicy).DisableAntiforgery();
    }
}
