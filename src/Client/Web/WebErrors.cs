using MMInterp.Client.Web.Auth;
using MMInterp.Client.Web.Rendering;
using MMInterp.Grains.Registry;
using MMInterp.Kernels.Artefacts;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace MMInterp.Client.Web;

/// <summary>
/// Turns failures into one clear message with a fitting status: bad input 400, unknown row or artefact 404,
/// conflicts 409, a corrupted artefact 500 (never served), the database down 503. JSON on API routes, a page elsewhere.
/// </summary>
public static class WebErrors
{
    public static void Use(WebApplication app, ILogger logger) => app.Use(async (ctx, next) =>
    {
        try
        {
            await next(ctx);
        }
        catch (Exception e) when (!ctx.Response.HasStarted && !ctx.RequestAborted.IsCancellationRequested)
        {
            var status = e switch
            {
                ArgumentException or FormatException or BadHttpRequestException or System.Text.Json.JsonException => StatusCodes.Status400BadRequest,
                KeyNotFoundException or RegistryNotFoundException or ArtefactNotFoundException => StatusCodes.Status404NotFound,
                RegistryConflictException or RegistryReferenceException => StatusCodes.Status409Conflict,
                RegistryUnavailableException or ClusterUnavailableException => StatusCodes.Status503ServiceUnavailable,
                _ => StatusCodes.Status500InternalServerError,
            };
            if (status == StatusCodes.Status500InternalServerError) logger.LogError(e, "{Method} {Path} failed", ctx.Request.Method, ctx.Request.Path);
            var message = e is ArtefactCorruptedException c ? $"artefact {c.Sha256} is corrupted in the store; it is not served" : e.Message;
            ctx.Response.Clear();
            if (WebAuth.IsMachineRoute(ctx.Request))
            {
                ctx.Response.StatusCode = status;
                await ctx.Response.WriteAsJsonAsync(new { error = message }, ctx.RequestAborted);
            }
            else
            {
                await Layout.Error(status, message).ExecuteAsync(ctx);
            }
        }
    });
}
