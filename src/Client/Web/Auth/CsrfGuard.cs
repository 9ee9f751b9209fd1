using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace MMInterp.Client.Web.Auth;

/// <summary>
/// Cross-site request forgery defence for the login cookie. A browser attaches the cookie to any request to this
/// server, including a form on another site or on another port of this host (same-site, so SameSite=Strict does
/// not stop it). So a state-changing request (any method but GET/HEAD/OPTIONS/TRACE) that rides on the cookie must:
/// <list type="number">
/// <item>come from this server's own origin: Origin (else Referer) equal to our scheme://host:port, and
/// Sec-Fetch-Site, when sent, "same-origin";</item>
/// <item>not be an API call: /api and /artefacts take writes only with <c>Authorization: Bearer</c>, which a browser
/// never adds by itself (so a text/plain body of JSON with the cookie is refused);</item>
/// <item>be a form carrying the anti-forgery token of the page it came from (ASP.NET Core antiforgery: a token
/// bound to the user and to a second HttpOnly cookie). /login and /logout are checked for origin only: they are
/// posted before a session exists or to end it.</item>
/// </list>
/// Bearer-token requests are not affected. Runs after authentication (the token is bound to the user).
/// </summary>
public static class CsrfGuard
{
    /// <summary>Where a page's form gets its hidden token field; <see cref="Rendering.HtmlPage"/> fills it in. Request
    /// text cannot forge it: every value on a page is HTML-encoded, so no '&lt;' of a request reaches the page.</summary>
    public const string TokenSlot = "<!--mminterp:csrf-->";
    public const string FormField = "csrf";
    public const string CookieName = "mminterp_csrf";
    public const string Refusal = "cross-site request refused: this form did not come from this server's own page (reload the page and submit again)";
    public const string ApiRefusal = "API writes need Authorization: Bearer <token>; the login cookie is accepted for reading only";

    public static IServiceCollection AddCsrfGuard(this IServiceCollection services) => services.AddAntiforgery(o =>
    {
        o.FormFieldName = FormField;
        o.HeaderName = null;
        o.Cookie.Name = CookieName;
        o.Cookie.HttpOnly = true;
        o.Cookie.SameSite = SameSiteMode.Strict;
        o.Cookie.SecurePolicy = Microsoft.AspNetCore.Http.CookieSecurePolicy.SameAsRequest;
        o.SuppressXFrameOptionsHeader = true; // the CSP's frame-ancestors 'none' already forbids framing
    });

    public static void Use(WebApplication app) => app.Use(async (ctx, next) =>
    {
        if (await RefusalAsync(ctx) is { } refusal) await WebErrors.WriteAsync(ctx, StatusCodes.Status403Forbidden, refusal);
        else await next(ctx);
    });

    /// <summary>Why the request is refused, or null when it may go on.</summary>
    static async Task<string?> RefusalAsync(HttpContext ctx)
    {
        var request = ctx.Request;
        if (HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method) || HttpMethods.IsOptions(request.Method)
            || HttpMethods.IsTrace(request.Method)) return null;
        if (WebAuth.HasBearer(request)) return null;
        var login = request.Path.Equals("/login", StringComparison.OrdinalIgnoreCase);
        var logout = request.Path.Equals("/logout", StringComparison.OrdinalIgnoreCase);
        var cookie = request.Cookies.ContainsKey(WebAuth.CookieName);
        if (!cookie && !login) return null; // nothing ambient to ride on: authentication answers 401 or redirects

        var origin = OriginOf(request);
        // Browsers send Origin with every POST; only a non-browser client omits it, and then only /login is open to it.
        if (origin == Origin.Foreign || (origin == Origin.Unknown && cookie)) return Refusal;
        if (WebAuth.IsMachineRoute(request)) return ApiRefusal;
        if (login || logout) return null;

        // A page's form is a form; a text/plain or JSON body to a page route is a forgery's shape. The form is read
        // here, so an oversized or malformed one is answered 413/400 by WebErrors, not as a bad token.
        if (!request.HasFormContentType) return Refusal;
        await RequestBodies.FormAsync(request, ctx.RequestAborted);
        return await ctx.RequestServices.GetRequiredService<IAntiforgery>().IsRequestValidAsync(ctx) ? null : Refusal;
    }

    enum Origin { Same, Foreign, Unknown }

    static Origin OriginOf(HttpRequest request)
    {
        var fetchSite = request.Headers["Sec-Fetch-Site"].ToString();
        if (fetchSite.Length > 0 && fetchSite is not ("same-origin" or "none")) return Origin.Foreign;
        var origin = request.Headers.Origin.ToString();
        if (origin.Length > 0) return IsOwn(request, origin) ? Origin.Same : Origin.Foreign;
        var referer = request.Headers.Referer.ToString();
        if (referer.Length > 0) return IsOwn(request, referer) ? Origin.Same : Origin.Foreign;
        return Origin.Unknown;
    }

    /// <summary>Whether a URL's scheme, host and port are this server's (as the request addressed it).</summary>
    static bool IsOwn(HttpRequest request, string url)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var u) || !request.Host.HasValue) return false;
        var ownPort = request.Host.Port ?? (request.IsHttps ? 443 : 80);
        return string.Equals(u.Scheme, request.Scheme, StringComparison.OrdinalIgnoreCase)
               && string.Equals(u.IdnHost.Trim('[', ']'), request.Host.Host.Trim('[', ']'), StringComparison.OrdinalIgnoreCase)
               && u.Port == ownPort;
    }
}
