using System.Security.Claims;
using MMInterp.Grains.Registry;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace MMInterp.Client.Web.Auth;

/// <summary>
/// API-token authentication for every route. A request carries its token as <c>Authorization: Bearer mmi_...</c>,
/// or (browsers) in an HttpOnly SameSite=Strict cookie set by /login. Scope claims carry what the token may do:
/// admin implies write implies read, so each policy checks one claim.
/// </summary>
public static class WebAuth
{
    public const string Scheme = "MMInterpToken";
    public const string CookieName = "mminterp_token";
    public const string ScopeClaim = "mminterp:scope";
    public const string TokenIdClaim = "mminterp:token";
    public const string ProjectClaim = "mminterp:project";
    public const string ReadPolicy = "read";
    public const string WritePolicy = "write";
    public const string AdminPolicy = "admin";

    public static IServiceCollection AddTokenAuth(this IServiceCollection services)
    {
        services.AddAuthentication(Scheme).AddScheme<Microsoft.AspNetCore.Authentication.AuthenticationSchemeOptions, TokenAuthenticationHandler>(Scheme, null);
        services.AddAuthorizationBuilder()
            .AddPolicy(ReadPolicy, p => p.RequireAuthenticatedUser().RequireClaim(ScopeClaim, RegistryNames.Name(TokenScope.Read)))
            .AddPolicy(WritePolicy, p => p.RequireAuthenticatedUser().RequireClaim(ScopeClaim, RegistryNames.Name(TokenScope.Write)))
            .AddPolicy(AdminPolicy, p => p.RequireAuthenticatedUser().RequireClaim(ScopeClaim, RegistryNames.Name(TokenScope.Admin)))
            // Every endpoint without its own policy needs a read token; /login and the stylesheet opt out explicitly.
            .SetFallbackPolicy(new AuthorizationPolicyBuilder(Scheme).RequireAuthenticatedUser().RequireClaim(ScopeClaim, RegistryNames.Name(TokenScope.Read)).Build());
        return services;
    }

    public static ClaimsPrincipal ToClaims(TokenPrincipal token)
    {
        var claims = new List<Claim>
        {
            new(ClaimTypes.NameIdentifier, token.UserId),
            new(ClaimTypes.Name, token.UserId),
            new(TokenIdClaim, token.TokenId),
            new(ProjectClaim, token.ProjectId),
        };
        claims.AddRange(Enum.GetValues<TokenScope>().Where(token.Allows).Select(s => new Claim(ScopeClaim, RegistryNames.Name(s))));
        return new ClaimsPrincipal(new ClaimsIdentity(claims, Scheme));
    }

    public static bool CanWrite(this ClaimsPrincipal user) => user.HasClaim(ScopeClaim, RegistryNames.Name(TokenScope.Write));

    /// <summary>The bearer token, else the login cookie; null when the request carries neither.</summary>
    public static string? TokenOf(HttpRequest request)
    {
        if (HasBearer(request)) return request.Headers.Authorization.ToString()["Bearer ".Length..].Trim();
        return request.Cookies.TryGetValue(CookieName, out var cookie) && cookie.Length > 0 ? cookie : null;
    }

    /// <summary>Whether the request authenticates with a bearer header (a program) rather than the cookie (a browser).</summary>
    public static bool HasBearer(HttpRequest request) =>
        request.Headers.Authorization.ToString().StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase);

    /// <summary>Machine routes answer 401/403 in JSON; pages redirect to the login form instead.</summary>
    public static bool IsMachineRoute(HttpRequest request) =>
        request.Path.StartsWithSegments("/api") || request.Path.StartsWithSegments("/artefacts");

    public static void SetCookie(HttpResponse response, string token, bool secure) =>
        response.Cookies.Append(CookieName, token, new CookieOptions
        {
            HttpOnly = true,
            SameSite = SameSiteMode.Strict,
            Secure = secure,
            Path = "/",
            IsEssential = true,
        });

    public static void ClearCookie(HttpResponse response) =>
        response.Cookies.Delete(CookieName, new CookieOptions { HttpOnly = true, SameSite = SameSiteMode.Strict, Path = "/" });

    /// <summary>
    /// The post-login target: a local path, else "/". Browsers drop tab, CR and LF inside a URL and read '\' as '/',
    /// so "\t//evil.example" or "/\evil" would leave the site: after trimming, a target must start with one '/' and
    /// hold printable ASCII only (no '\'), and must still do so after one more percent-decoding ("/%2F%2Fevil").
    /// </summary>
    public static string SafeReturn(string? target)
    {
        var t = target?.Trim() ?? "";
        return IsLocalPath(t) && IsLocalPath(Uri.UnescapeDataString(t)) ? t : "/";
    }

    static bool IsLocalPath(string t) =>
        t.Length > 0 && t[0] == '/' && (t.Length == 1 || t[1] is not ('/' or '\\'))
        && t.All(c => c is > ' ' and < '\x7f' and not '\\');
}
