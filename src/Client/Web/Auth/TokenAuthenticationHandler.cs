using System.Text.Encodings.Web;
using MMInterp.Client.Web.Rendering;
using MMInterp.Grains.Registry;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace MMInterp.Client.Web.Auth;

/// <summary>
/// Checks the request's API token against the registry on every request, so a revoked token stops working at once.
/// Unauthenticated: API and image routes answer 401 (with WWW-Authenticate: Bearer), browser pages redirect to /login.
/// Authenticated without the needed scope: 403.
/// </summary>
public sealed class TokenAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, RegistryStore registry)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var token = WebAuth.TokenOf(Request);
        if (token is null) return AuthenticateResult.NoResult();
        var principal = await registry.Tokens.VerifyAsync(token, Context.RequestAborted);
        if (principal is null) return AuthenticateResult.Fail("invalid, revoked or expired API token");
        return AuthenticateResult.Success(new AuthenticationTicket(WebAuth.ToClaims(principal), Scheme.Name));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var presented = WebAuth.TokenOf(Request) is not null;
        if (WebAuth.IsMachineRoute(Request) || Request.Headers.Authorization.Count > 0 || !HttpMethods.IsGet(Request.Method))
        {
            Response.StatusCode = StatusCodes.Status401Unauthorized;
            Response.Headers.WWWAuthenticate = "Bearer";
            await Response.WriteAsJsonAsync(new
            {
                error = presented ? "invalid, revoked or expired API token" : "an API token is required (Authorization: Bearer mmi_...)",
            }, Context.RequestAborted);
            return;
        }
        // A stale cookie (revoked token) is dropped so the login form starts clean.
        if (presented) WebAuth.ClearCookie(Response);
        Response.Redirect("/login?return=" + Uri.EscapeDataString(Request.Path + Request.QueryString));
    }

    protected override async Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        var message = "this API token lacks the scope this route needs (writes need a write token)";
        if (WebAuth.IsMachineRoute(Request))
        {
            Response.StatusCode = StatusCodes.Status403Forbidden;
            await Response.WriteAsJsonAsync(new { error = message }, Context.RequestAborted);
            return;
        }
        await Layout.Error(StatusCodes.Status403Forbidden, message).ExecuteAsync(Context);
    }
}
