using System.Text.Json.Nodes;
using MMInterp.Client.Platform;
using MMInterp.Client.Registry;
using MMInterp.Client.Web.Auth;
using MMInterp.Grains.Registry;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace MMInterp.Client.Web.Api;

/// <summary>API routes that change something; each needs a write token.</summary>
public static class ApiWrites
{
    public static void Map(IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api").RequireAuthorization(WebAuth.WritePolicy);

        // Body: {"label": "red things", "score": 1.0}; score is optional (1).
        api.MapPost("/dictionaries/{id}/features/{index:int}/labels", async (HttpRequest request, RegistryStore r, System.Security.Claims.ClaimsPrincipal user, string id, int index, CancellationToken ct) =>
        {
            var body = await JsonNode.ParseAsync(request.Body, cancellationToken: ct) as JsonObject
                       ?? throw new ArgumentException("the body must be a JSON object such as {\"label\": \"red\", \"score\": 1}");
            var label = body["label"] is JsonValue l && TryString(l, out var s) ? s : throw new ArgumentException("body.label must be a string of valid Unicode text");
            var score = body["score"] switch
            {
                null => 1.0,
                JsonValue v when v.TryGetValue<double>(out var d) => d,
                _ => throw new ArgumentException("body.score must be a number"),
            };
            var record = await ManualLabels.AddAsync(r, id, index, label, score, ManualLabels.Author(user), ct);
            return Results.Text(RecordJson.Format(record), "application/json", statusCode: StatusCodes.Status201Created);
        }).DisableAntiforgery(); // CsrfGuard refuses cookie-borne API writes outright; bearer calls need no token

        // Cancels a job, run or sweep through its grain, like `mminterp cancel`.
        api.MapPost("/runs/{id}/cancel", async (RegistryStore r, WebCluster cluster, string id, CancellationToken ct) =>
            Results.Json(new { result = await RunCancellation.CancelAsync(r, cluster.ConnectAsync, id, ct) })).DisableAntiforgery();
    }

    /// <summary>A JSON string's value; false for other kinds and for escapes that decode to invalid UTF-16
    /// ("\ud800" alone), which System.Text.Json reports by throwing.</summary>
    internal static bool TryString(JsonValue value, out string text)
    {
        text = "";
        try
        {
            return value.TryGetValue(out text!);
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }
}
