using System.Net;
using System.Text.RegularExpressions;
using Xunit;

namespace MMInterp.Client.Tests.Web;

/// <summary>
/// What a browser holding the login cookie sends, done by hand: it loads a page (getting the anti-forgery cookie
/// and the form's hidden token) and posts forms with the cookies and an Origin of its choosing.
/// </summary>
public sealed partial class BrowserSession(WebFixture web, string loginToken) : IDisposable
{
    readonly HttpClient _client = new(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = web.BaseUri };
    string? _csrfCookie;

    /// <summary>This server's own origin, as a browser writes it in the Origin header.</summary>
    public string OwnOrigin => web.BaseUri.GetLeftPart(UriPartial.Authority);

    /// <summary>Loads a page as the browser would and returns the anti-forgery token of its form.</summary>
    public async Task<string> FormTokenAsync(string path)
    {
        var page = await Send(new HttpRequestMessage(HttpMethod.Get, path));
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        if (page.Headers.TryGetValues("Set-Cookie", out var cookies))
            foreach (var c in cookies)
                if (c.StartsWith("mminterp_csrf=", StringComparison.Ordinal)) _csrfCookie = c[..c.IndexOf(';')];
        var field = CsrfField().Match(await page.Content.ReadAsStringAsync());
        Assert.True(field.Success, $"{path} has no anti-forgery field");
        return WebUtility.HtmlDecode(field.Groups[1].Value);
    }

    /// <summary>Posts with the login cookie (and the anti-forgery cookie once a page was loaded).</summary>
    public Task<HttpResponseMessage> PostAsync(string path, HttpContent? content, string? origin = null, string? referer = null,
        string? fetchSite = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = content };
        if (origin is not null) request.Headers.TryAddWithoutValidation("Origin", origin);
        if (referer is not null) request.Headers.TryAddWithoutValidation("Referer", referer);
        if (fetchSite is not null) request.Headers.TryAddWithoutValidation("Sec-Fetch-Site", fetchSite);
        return Send(request);
    }

    public static FormUrlEncodedContent Form(params (string Key, string Value)[] fields) =>
        new(fields.Select(f => new KeyValuePair<string, string>(f.Key, f.Value)));

    Task<HttpResponseMessage> Send(HttpRequestMessage request)
    {
        request.Headers.TryAddWithoutValidation("Cookie", $"mminterp_token={loginToken}" + (_csrfCookie is null ? "" : "; " + _csrfCookie));
        return _client.SendAsync(request);
    }

    [GeneratedRegex("<input type=\"hidden\" name=\"csrf\" value=\"([^\"]+)\">")]
    private static partial Regex CsrfField();

    public void Dispose() => _client.Dispose();
}
