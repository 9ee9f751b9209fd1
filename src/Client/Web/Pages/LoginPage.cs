using MMInterp.Client.Web.Auth;
using MMInterp.Client.Web.Rendering;
using MMInterp.Grains.Registry;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace MMInterp.Client.Web.Pages;

/// <summary>
/// GET /login shows a token form (or, with ?token=, logs in directly); POST /login takes the form; POST /logout
/// clears the cookie. The cookie holds the token itself and is checked on every request like a bearer token.
/// </summary>
public static class LoginPage
{
    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/login", async (HttpContext ctx, RegistryStore registry, string? token, string? @return) =>
            token is null ? Form(@return, null, StatusCodes.Status200OK) : await LogInAsync(ctx, registry, token, @return)).AllowAnonymous();

        app.MapPost("/login", async (HttpContext ctx, RegistryStore registry) =>
        {
            var form = await RequestBodies.FormAsync(ctx.Request, ctx.RequestAborted);
            return await LogInAsync(ctx, registry, form["token"].ToString().Trim(), form["return"].ToString());
        }).AllowAnonymous().DisableAntiforgery(); // origin-checked by CsrfGuard; there is no session to bind a token to yet

        app.MapPost("/logout", (HttpContext ctx) =>
        {
            WebAuth.ClearCookie(ctx.Response);
            return Results.Redirect("/login", permanent: false);
        }).AllowAnonymous().DisableAntiforgery();
    }

    static async Task<IResult> LogInAsync(HttpContext ctx, RegistryStore registry, string token, string? returnTo)
    {
        if (await registry.Tokens.VerifyAsync(token, ctx.RequestAborted) is null)
            return Form(returnTo, "That token is invalid, revoked or expired.", StatusCodes.Status401Unauthorized);
        WebAuth.SetCookie(ctx.Response, token, ctx.Request.IsHttps);
        return Results.Redirect(WebAuth.SafeReturn(returnTo), permanent: false);
    }

    static IResult Form(string? returnTo, string? error, int status) => Layout.Page("Log in", $"""
        {(error is null ? "" : $"<p class=\"error\" id=\"login-error\">{Html.E(error)}</p>")}
        <p>Paste an API token (create one with <code>mminterp token create --user NAME --scope read</code>).</p>
        <form method="post" action="/login" class="inline" id="login-form">
        <input type="hidden" name="return" value="{Html.E(WebAuth.SafeReturn(returnTo))}">
        <input type="password" name="token" placeholder="mmi_..." autocomplete="off" aria-label="API token" required>
        <button type="submit">log in</button>
        </form>
        """, status, nav: false);
}
