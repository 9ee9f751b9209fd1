using System.Net;
using System.Net.Http.Headers;
using System.Text;
using MMInterp.Grains.Registry;
using Xunit;

namespace MMInterp.Client.Tests.Web;

/// <summary>
/// Forged requests riding on the login cookie change nothing: a form from another site or another port of this
/// host, a form without this server's anti-forgery token, JSON sent as text/plain to the API, a cookie-only cancel.
/// The server's own form still works, and bearer-token calls are unaffected.
/// </summary>
[Collection(WebCollection.Name)]
public class CsrfTests(WebFixture web)
{
    async Task<bool> HasLabel(int index, string label) =>
        (await web.Registry.Features.GetLabelsAsync(web.Dictionary.Id, index)).Any(l => l.Label == label);

    [Fact]
    public async Task CookieFormPostsFromAnywhereButThisServersOwnPageAreRefused()
    {
        var token = await web.Registry.Tokens.CreateAsync("alice", [TokenScope.Write]);
        using var browser = new BrowserSession(web, token.Token);
        var csrf = await browser.FormTokenAsync(web.FeaturePath(1));
        var route = $"{web.FeaturePath(1)}/labels";
        var sameSiteOtherPort = $"http://127.0.0.1:{(web.BaseUri.Port == 65535 ? 1 : web.BaseUri.Port + 1)}";

        var forged = new (string What, Func<Task<HttpResponseMessage>> Send)[]
        {
            ("cross-site Origin", () => browser.PostAsync(route, BrowserSession.Form(("label", "forged"), ("csrf", csrf)), "https://evil.example")),
            ("same-site other port", () => browser.PostAsync(route, BrowserSession.Form(("label", "forged"), ("csrf", csrf)), sameSiteOtherPort)),
            ("Origin null", () => browser.PostAsync(route, BrowserSession.Form(("label", "forged"), ("csrf", csrf)), "null")),
            ("foreign Referer only", () => browser.PostAsync(route, BrowserSession.Form(("label", "forged"), ("csrf", csrf)), referer: "https://evil.example/page")),
            ("Sec-Fetch-Site same-site", () => browser.PostAsync(route, BrowserSession.Form(("label", "forged"), ("csrf", csrf)), browser.OwnOrigin, fetchSite: "same-site")),
            ("no Origin or Referer", () => browser.PostAsync(route, BrowserSession.Form(("label", "forged"), ("csrf", csrf)))),
            ("own origin, no token", () => browser.PostAsync(route, BrowserSession.Form(("label", "forged")), browser.OwnOrigin)),
            ("own origin, wrong token", () => browser.PostAsync(route, BrowserSession.Form(("label", "forged"), ("csrf", csrf[..^4] + "AAAA")), browser.OwnOrigin)),
            ("own origin, text/plain body", () => browser.PostAsync(route, new StringContent("label=forged", Encoding.UTF8, "text/plain"), browser.OwnOrigin)),
        };
        foreach (var (what, send) in forged)
        {
            var answer = await send();
            Assert.True(answer.StatusCode == HttpStatusCode.Forbidden, $"{what}: {answer.StatusCode}");
            Assert.Contains("cross-site request refused", await answer.Content.ReadAsStringAsync());
            Assert.False(await HasLabel(1, "forged"), $"{what} wrote a label");
        }

        // The server's own form: same origin (or a same-origin Referer), the page's token.
        var own = await browser.PostAsync(route, BrowserSession.Form(("label", "own form"), ("csrf", csrf)), browser.OwnOrigin);
        Assert.Equal(HttpStatusCode.Redirect, own.StatusCode);
        Assert.True(await HasLabel(1, "own form"));
        var byReferer = await browser.PostAsync(route, BrowserSession.Form(("label", "own form 2"), ("csrf", csrf)),
            referer: browser.OwnOrigin + web.FeaturePath(1), fetchSite: "same-origin");
        Assert.Equal(HttpStatusCode.Redirect, byReferer.StatusCode);

        // Another user's page token does not fit this user's session.
        var bob = await web.Registry.Tokens.EnsureUserAsync("bob");
        var bobs = await web.Registry.Tokens.CreateAsync(bob.Id, [TokenScope.Write]);
        using var other = new BrowserSession(web, bobs.Token);
        var bobsCsrf = await other.FormTokenAsync(web.FeaturePath(1));
        var swapped = await browser.PostAsync(route, BrowserSession.Form(("label", "forged"), ("csrf", bobsCsrf)), browser.OwnOrigin);
        Assert.Equal(HttpStatusCode.Forbidden, swapped.StatusCode);
        Assert.False(await HasLabel(1, "forged"));
    }

    [Fact]
    public async Task TheApiTakesNoWritesOnTheCookieButBearerCallsAreUnaffected()
    {
        var token = await web.Registry.Tokens.CreateAsync("alice", [TokenScope.Write]);
        using var browser = new BrowserSession(web, token.Token);
        var route = $"/api/dictionaries/{web.Dictionary.Id}/features/1/labels";

        // The classic: a cross-site form with enctype=text/plain whose body parses as JSON.
        foreach (var origin in new string?[] { "https://evil.example", browser.OwnOrigin, null })
        {
            var plain = await browser.PostAsync(route, new StringContent("""{"label": "forged api", "x": "="}""", Encoding.UTF8, "text/plain"), origin);
            Assert.Equal(HttpStatusCode.Forbidden, plain.StatusCode);
            var json = await browser.PostAsync(route, new StringContent("""{"label": "forged api"}""", Encoding.UTF8, "application/json"), origin);
            Assert.Equal(HttpStatusCode.Forbidden, json.StatusCode);
        }
        Assert.False(await HasLabel(1, "forged api"));

        // A cookie-only cancel of a live run is refused before it reaches the cluster (this server has none: 503 otherwise).
        var cancel = await browser.PostAsync($"/api/runs/{web.Run.Id}/cancel", null, browser.OwnOrigin);
        Assert.Equal(HttpStatusCode.Forbidden, cancel.StatusCode);
        Assert.Contains("Authorization: Bearer", await cancel.Content.ReadAsStringAsync());
        Assert.Equal(RunStatus.Running, (await web.Registry.Runs.GetAsync(web.Run.Id))!.Status);

        // Bearer: no Origin, a foreign Origin, the cookie beside it - all as before.
        using var program = web.Client(token.Token);
        var created = await program.PostAsync(route, new StringContent("""{"label": "by program"}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var withOrigin = new HttpRequestMessage(HttpMethod.Post, route) { Content = new StringContent("""{"label": "by program 2"}""") };
        withOrigin.Headers.TryAddWithoutValidation("Origin", "https://evil.example");
        withOrigin.Headers.TryAddWithoutValidation("Cookie", $"mminterp_token={token.Token}");
        Assert.Equal(HttpStatusCode.Created, (await program.SendAsync(withOrigin)).StatusCode);
        var page = new HttpRequestMessage(HttpMethod.Post, $"{web.FeaturePath(1)}/labels") { Content = BrowserSession.Form(("label", "by program 3")) };
        page.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token.Token);
        Assert.Equal(HttpStatusCode.Redirect, (await web.Client().SendAsync(page)).StatusCode);
        Assert.True(await HasLabel(1, "by program 3"));
    }

    [Fact]
    public async Task LoginAndLogoutPostsAreCheckedForOrigin()
    {
        using var anonymous = web.Client();
        var foreign = new HttpRequestMessage(HttpMethod.Post, "/login") { Content = BrowserSession.Form(("token", web.ReadToken), ("return", "/")) };
        foreign.Headers.TryAddWithoutValidation("Origin", "https://evil.example");
        var login = await anonymous.SendAsync(foreign);
        Assert.Equal(HttpStatusCode.Forbidden, login.StatusCode); // login CSRF: no session planted
        Assert.False(login.Headers.Contains("Set-Cookie"));

        using var browser = new BrowserSession(web, web.ReadToken);
        var logout = await browser.PostAsync("/logout", null, "http://127.0.0.1:1");
        Assert.Equal(HttpStatusCode.Forbidden, logout.StatusCode);
        var own = await browser.PostAsync("/logout", null, browser.OwnOrigin);
        Assert.Equal(HttpStatusCode.Redirect, own.StatusCode);
    }
}
