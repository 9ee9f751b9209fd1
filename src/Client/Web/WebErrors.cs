using System.Net.Sockets;
using System.Text;
using MMInterp.Client.Web.Auth;
using MMInterp.Client.Web.Rendering;
using MMInterp.Grains.Registry;
using MMInterp.Kernels.Artefacts;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace MMInterp.Client.Web;

/// <summary>
/// The global exception handler: every failure becomes one short message with a fitting status. Bad input 400,
/// a cross-site form 403, an unknown row or artefact 404, conflicts 409, an oversized body or form 413, the database
/// or cluster down 503; anything else (a bug, a corrupted artefact) 500. The client never sees driver text, a stack
/// trace or a file path: those are logged here, server-side. JSON on API routes, a page elsewhere.
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
            var (status, message) = Classify(e);
            if (status == StatusCodes.Status500InternalServerError) logger.LogError(e, "{Method} {Path} failed", ctx.Request.Method, ctx.Request.Path);
            else if (status >= 500) logger.LogWarning("{Method} {Path} answered {Status}: {Reason}", ctx.Request.Method, ctx.Request.Path, status, e.Message);
            else logger.LogDebug(e, "{Method} {Path} refused ({Status})", ctx.Request.Method, ctx.Request.Path, status);
            ctx.Response.Clear();
            await WriteAsync(ctx, status, message);
        }
    });

    public static async Task WriteAsync(HttpContext ctx, int status, string message)
    {
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

    /// <summary>The status and the client-facing message of a failure.</summary>
    public static (int Status, string Message) Classify(Exception e) => e switch
    {
        BadHttpRequestException b when b.StatusCode == StatusCodes.Status413PayloadTooLarge => (413, WebLimits.TooLarge),
        BadHttpRequestException b => (b.StatusCode is >= 400 and < 500 ? b.StatusCode : 400, OneLine(b.Message)),
        // Form limits (field count, value length, multipart sizes) say "limit ... exceeded"; others are malformed bodies.
        InvalidDataException d when d.Message.Contains("limit", StringComparison.OrdinalIgnoreCase) => (413, WebLimits.TooLarge),
        InvalidDataException => (400, "the body is not a well-formed form"),
        System.Text.Json.JsonException => (400, "the body is not valid JSON"),
        EncoderFallbackException or DecoderFallbackException => (400, "the request holds text that is not valid Unicode (a lone surrogate or undecodable bytes)"),
        AntiforgeryValidationException => (403, CsrfGuard.Refusal),
        ArtefactNotFoundException a => (404, $"no artefact {a.Sha256} in the store"),
        ArtefactCorruptedException c => (500, $"artefact {c.Sha256} is corrupted in the store; it is not served"),
        KeyNotFoundException or RegistryNotFoundException => (404, OneLine(e.Message)),
        RegistryConflictException => (409, "conflicts with a record already registered"),
        RegistryReferenceException => (409, "refers to a record that is not registered, or is still referred to"),
        RegistryUnavailableException => (503, DatabaseDown),
        ClusterUnavailableException => (503, OneLine(e.Message)),
        _ when Database(e) is { } db => db,
        ArgumentException or FormatException or OverflowException => (400, OneLine(e.Message)),
        _ => (500, "internal error; the server log has the details"),
    };

    const string DatabaseDown = "the registry database is unavailable; try again shortly";

    /// <summary>Driver failures anywhere in the chain: a dropped or refused connection (a restart: SQLSTATE classes
    /// 08, 53, 57, 58) is 503; a value the database refused (22, 23) is the request's fault, 400.</summary>
    static (int, string)? Database(Exception e)
    {
        for (var x = e; x is not null; x = x.InnerException)
        {
            if (x is PostgresException pg)
                return pg.SqlState[..2] switch
                {
                    "08" or "53" or "57" or "58" => (503, DatabaseDown),
                    "22" or "23" => (400, "the registry refused a value in the request (it must be valid text within the stated limits)"),
                    _ => null,
                };
            if (x is NpgsqlException or SocketException or TimeoutException) return (503, DatabaseDown);
        }
        return null;
    }

    /// <summary>One printable line (an echoed value may hold NUL, CR or a lone surrogate), at most 300 characters.</summary>
    static string OneLine(string s)
    {
        var line = WebText.Printable(s);
        return line.Length <= 300 ? line : line[..300] + "...";
    }
}
