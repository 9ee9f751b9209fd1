using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using MMInterp.Grains.Registry;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace MMInterp.Client.Tests.Web;

[Collection(WebCollection.Name)]
public class WebAuthTests(WebFixture web)
{
    /// <summary>Every GET route of the app, parameters filled from the seeded registry, minus the three anonymous ones.</summary>
    IReadOnlyList<string> GuardedGetPaths()
    {
        var endpoints = web.App.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>().ToList();
        var anonymous = endpoints.Where(e => e.Metadata.GetMetadata<IAllowAnonymous>() is not null).Select(e => e.RoutePattern.RawText ?? "").ToHashSet();
        Assert.Equal(new[] { "/login", "/logout", "/site.css" }, anonymous.Order().ToArray());
        return endpoints
            .Where(e => e.Metadata.GetMetadata<IAllowAnonymous>() is null
                        && e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods.Contains("GET") == true)
            .Select(e => e.RoutePattern.RawText!)
            .Select(p => p
                .Replace("{id}", p.Contains("experiments") ? web.Experiment.Id : p.Contains("sweeps") ? web.Sweep.Id : p.Contains("runs") || p.Contains("jobs") ? web.Run.Id
                    : p.Contains("models") ? web.Model.Id : p.Contains("activation-sets") ? web.ActivationSet.Id : web.Dictionary.Id)
                .Replace("{index:int}", "0").Replace("{sha}", web.HistogramPng)
                .Replace("{name}", "fvu")) // a metric series the fixture's run logged
            // The compare view and its pictures need the runs they compare.
            .Select(p => p is "/compare" or "/api/compare" || p.StartsWith("/compare/curves/", StringComparison.Ordinal) ? p + "?run=" + web.Run.Id : p)
            .ToList();
    }

    [Fact]
    public async Task EveryRouteRefusesRequestsWithoutAValidToken()
    {
        var paths = GuardedGetPaths();
        Assert.True(paths.Count >= 20, $"expected the whole UI and API, found {paths.Count} GET routes");
        using var anonymous = web.Client();
        using var revoked = web.Client(web.RevokedToken);
        using var garbage = web.Client("mmi_0123456789abcdef_wrongsecret");
        using var reader = web.Client(web.ReadToken);
        foreach (var path in paths)
        {
            var machine = path.StartsWith("/api", StringComparison.Ordinal) || path.StartsWith("/artefacts", StringComparison.Ordinal);
            var none = await anonymous.GetAsync(path);
            if (machine)
            {
                Assert.True(none.StatusCode == HttpStatusCode.Unauthorized, $"{path} without a token: {none.StatusCode}");
                Assert.Equal("Bearer", none.Headers.WwwAuthenticate.Single().Scheme);
            }
            else
            {
                Assert.True(none.StatusCode == HttpStatusCode.Redirect, $"{path} without a token: {none.StatusCode}");
                Assert.Equal("/login?return=" + Uri.EscapeDataString(path), none.Headers.Location!.OriginalString);
            }
            // A bearer token that does not verify is 401 everywhere, pages included (a program sent it).
            Assert.Equal(HttpStatusCode.Unauthorized, (await revoked.GetAsync(path)).StatusCode);
            Assert.Equal(HttpStatusCode.Unauthorized, (await garbage.GetAsync(path)).StatusCode);
            var ok = await reader.GetAsync(path);
            Assert.True(ok.StatusCode == HttpStatusCode.OK, $"{path} with a read token: {ok.StatusCode} {await ok.Content.ReadAsStringAsync()}");
        }
    }

    [Fact]
    public async Task ReadTokensCannotWriteAndWriteTokensCan()
    {
        var route = $"/api/dictionaries/{web.Dictionary.Id}/features/1/labels";
        using var reader = web.Client(web.ReadToken);
        using var writer = web.Client(web.WriteToken);
        using var anonymous = web.Client();

        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PostAsJsonAsync(route, new { label = "upper left" })).StatusCode);
        var denied = await reader.PostAsJsonAsync(route, new { label = "upper left" });
        Assert.Equal(HttpStatusCode.Forbidden, denied.StatusCode);
        Assert.Contains("write", (string?)JsonNode.Parse(await denied.Content.ReadAsStringAsync())!["error"]);
        Assert.Equal(HttpStatusCode.Forbidden, (await reader.PostAsync($"/api/runs/{web.FinishedRun.Id}/cancel", null)).StatusCode);
        var before = await web.Registry.Features.GetLabelsAsync(web.Dictionary.Id, 1);
        Assert.DoesNotContain(before, l => l.Label == "upper left");

        var created = await writer.PostAsJsonAsync(route, new { label = "upper left", score = 0.9 });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var label = JsonNode.Parse(await created.Content.ReadAsStringAsync())!;
        Assert.Equal(("upper left", "manual", 0.9), ((string?)label["label"], (string?)label["method"], (double?)label["score"]));
        var feature = JsonNode.Parse(await reader.GetStringAsync($"/api/dictionaries/{web.Dictionary.Id}/features/1"))!;
        Assert.Equal("upper left", (string?)feature["best_label"]); // a manual label outranks every other method

        // Bad input is named; a feature beyond the dictionary is refused.
        var empty = await writer.PostAsJsonAsync(route, new { label = "  " });
        Assert.Equal(HttpStatusCode.BadRequest, empty.StatusCode);
        Assert.Equal("label is empty", (string?)JsonNode.Parse(await empty.Content.ReadAsStringAsync())!["error"]);
        var beyond = await writer.PostAsJsonAsync($"/api/dictionaries/{web.Dictionary.Id}/features/256/labels", new { label = "x" });
        Assert.Equal(HttpStatusCode.BadRequest, beyond.StatusCode);
        Assert.Contains("0-255", await beyond.Content.ReadAsStringAsync());
        var notJson = await writer.PostAsync(route, new StringContent("label=x"));
        Assert.Equal(HttpStatusCode.BadRequest, notJson.StatusCode);
        var unknown = await writer.PostAsJsonAsync("/api/dictionaries/dict-nope/features/1/labels", new { label = "x" });
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);

        // Cancelling needs the cluster only for live runs; a finished one is reported as such.
        var cancel = await writer.PostAsync($"/api/runs/{web.FinishedRun.Id}/cancel", null);
        Assert.Equal(HttpStatusCode.OK, cancel.StatusCode);
        Assert.Equal($"{web.FinishedRun.Id} already cancelled", (string?)JsonNode.Parse(await cancel.Content.ReadAsStringAsync())!["result"]);
        var live = await writer.PostAsync($"/api/runs/{web.Run.Id}/cancel", null);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, live.StatusCode); // this test server has no cluster
    }

    [Fact]
    public async Task BrowserLoginSetsAStrictHttpOnlyCookieThatWorksUntilTheTokenIsRevoked()
    {
        var token = await web.Registry.Tokens.CreateAsync("alice", [TokenScope.Write]);
        using var client = web.Client();
        var login = await client.GetAsync($"/login?token={Uri.EscapeDataString(token.Token)}&return={Uri.EscapeDataString(web.FeaturePath(0))}");
        Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);
        Assert.Equal(web.FeaturePath(0), login.Headers.Location!.OriginalString);
        var cookie = login.Headers.GetValues("Set-Cookie").Single();
        Assert.StartsWith($"mminterp_token={token.Token};", cookie);
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", cookie, StringComparison.OrdinalIgnoreCase);

        using var browser = web.Client(cookieToken: token.Token);
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync(web.FeaturePath(0))).StatusCode);
        // The dashboard's form posts with the cookie (from its own origin, with its anti-forgery token) and comes back
        // to the dashboard with the label on it.
        using var session = new BrowserSession(web, token.Token);
        var csrf = await session.FormTokenAsync(web.FeaturePath(3));
        var posted = await session.PostAsync($"{web.FeaturePath(3)}/labels", BrowserSession.Form(("label", "left side"), ("csrf", csrf)), session.OwnOrigin);
        Assert.Equal(HttpStatusCode.Redirect, posted.StatusCode);
        Assert.Equal(web.FeaturePath(3), posted.Headers.Location!.OriginalString);
        Assert.Contains("<b id=\"best-label\">left side</b>", await browser.GetStringAsync(web.FeaturePath(3)));

        await web.Registry.Tokens.RevokeAsync(token.TokenId);
        var after = await browser.GetAsync(web.FeaturePath(0));
        Assert.Equal(HttpStatusCode.Redirect, after.StatusCode);
        Assert.StartsWith("/login", after.Headers.Location!.OriginalString);
        Assert.Contains("mminterp_token=;", after.Headers.GetValues("Set-Cookie").Single()); // the stale cookie is dropped
        Assert.Equal(HttpStatusCode.Unauthorized, (await browser.GetAsync($"/api/dictionaries/{web.Dictionary.Id}")).StatusCode);
    }

    [Fact]
    public async Task LoginRefusesBadTokensAndForeignReturnTargets()
    {
        using var client = web.Client();
        var form = await client.GetAsync("/login?return=/models");
        Assert.Equal(HttpStatusCode.OK, form.StatusCode);
        Assert.Contains("id=\"login-form\"", await form.Content.ReadAsStringAsync());

        var bad = await client.PostAsync("/login", new FormUrlEncodedContent([new("token", web.RevokedToken), new("return", "/models")]));
        Assert.Equal(HttpStatusCode.Unauthorized, bad.StatusCode);
        Assert.False(bad.Headers.Contains("Set-Cookie"));
        Assert.Contains("invalid, revoked or expired", await bad.Content.ReadAsStringAsync());

        foreach (var target in new[] { "//evil.example/x", "https://evil.example/", "/\\evil.example" })
        {
            var ok = await client.PostAsync("/login", new FormUrlEncodedContent([new("token", web.ReadToken), new("return", target)]));
            Assert.Equal(HttpStatusCode.Redirect, ok.StatusCode);
            Assert.Equal("/", ok.Headers.Location!.OriginalString);
        }
    }

    [Fact]
    public async Task ReadOnlyBrowsersSeeNoLabelFormAndAre403OnPosting()
    {
        using var reader = web.Client(cookieToken: web.ReadToken);
        var page = await reader.GetStringAsync(web.FeaturePath(0));
        Assert.DoesNotContain("id=\"label-form\"", page);
        var post = await reader.PostAsync($"{web.FeaturePath(0)}/labels", new FormUrlEncodedContent([new("label", "nope")]));
        Assert.Equal(HttpStatusCode.Forbidden, post.StatusCode);
        Assert.Contains("Forbidden", await post.Content.ReadAsStringAsync());

        using var writer = web.Client(cookieToken: web.WriteToken);
        Assert.Contains("id=\"label-form\"", await writer.GetStringAsync(web.FeaturePath(0)));
    }
}
