using MMInterp.Client.Web;
using MMInterp.Grains.Registry;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Xunit;

namespace MMInterp.Client.Tests.Web;

/// <summary>
/// CSRF in a real browser (Debian's headless Chromium) logged in to the dashboard with a write token: forms on
/// another port of 127.0.0.1 (same-site, so the SameSite=Strict cookie IS sent) and on another site (evil.example,
/// mapped to 127.0.0.1) post to the server and are refused; the server's own label form still works.
/// </summary>
[Collection(WebCollection.Name)]
public class CsrfBrowserTests(WebFixture web)
{
    /// <summary>The attacker's page: a label form, and the text/plain trick that makes a form body parse as JSON.</summary>
    static string AttackPage(Uri target, string dictionaryId) => $$"""
        <!DOCTYPE html><html><body>
        <form id="forge" method="post" action="{{target}}dictionaries/{{dictionaryId}}/features/1/labels">
          <input name="label" value="forged by browser"><button id="go" type="submit">win a prize</button>
        </form>
        <form id="forge-api" method="post" enctype="text/plain" action="{{target}}api/dictionaries/{{dictionaryId}}/features/1/labels">
          <input name='{"label": "forged by browser api", "x": "' value='"}'><button id="go-api" type="submit">again</button>
        </form>
        </body></html>
        """;

    [Fact]
    public async Task FormsFromAnotherPortOrSiteAreRefusedAndTheOwnFormWorks()
    {
        var token = await web.Registry.Tokens.CreateAsync("alice", [TokenScope.Write]);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(System.Net.IPAddress.Loopback, 0));
        await using var attacker = builder.Build();
        var page = AttackPage(web.BaseUri, web.Dictionary.Id);
        attacker.MapGet("/", () => Results.Content(page, "text/html; charset=utf-8"));
        await attacker.StartAsync();
        var attackerPort = WebServer.Address(attacker).Port;

        // Quoted: PuppeteerSharp joins the arguments with spaces.
        await using var browser = await DashboardBrowserTests.LaunchAsync("\"--host-resolver-rules=MAP evil.example 127.0.0.1\"");
        await using var tab = await browser.NewPageAsync();
        // Log in: the cookie is set for 127.0.0.1.
        await tab.GoToAsync(new Uri(web.BaseUri, $"/login?token={Uri.EscapeDataString(token.Token)}&return=/").ToString());
        Assert.Equal(new Uri(web.BaseUri, "/").ToString(), tab.Url);

        async Task<(int Status, string Text)> Submit(string pageUrl, string button)
        {
            await tab.GoToAsync(pageUrl);
            var navigation = tab.WaitForNavigationAsync();
            await tab.ClickAsync(button);
            var response = await navigation;
            return ((int)response.Status, await tab.EvaluateExpressionAsync<string>("document.body.innerText"));
        }
        async Task<bool> Forged() =>
            (await web.Registry.Features.GetLabelsAsync(web.Dictionary.Id, 1)).Any(l => l.Label.StartsWith("forged by browser", StringComparison.Ordinal));

        // Same site, other port: the browser sends the Strict cookie; the Origin check refuses the post.
        foreach (var button in new[] { "#go", "#go-api" })
        {
            var (status, text) = await Submit($"http://127.0.0.1:{attackerPort}/", button);
            Assert.True(status == 403, $"same-site other port {button}: {status} {text}");
            Assert.Contains("cross-site request refused", text);
        }
        Assert.False(await Forged());

        // Another site: the cookie is not even sent (SameSite=Strict), and nothing is written.
        foreach (var button in new[] { "#go", "#go-api" })
        {
            var (status, text) = await Submit($"http://evil.example:{attackerPort}/", button);
            Assert.True(status is 401 or 403, $"cross-site {button}: {status} {text}");
        }
        Assert.False(await Forged());

        // The dashboard's own form: same origin, with its anti-forgery token.
        var dashboard = new Uri(web.BaseUri, web.FeaturePath(1)).ToString();
        await tab.GoToAsync(dashboard);
        await tab.TypeAsync("#label-form input[name=label]", "labelled in the browser");
        await Task.WhenAll(tab.WaitForNavigationAsync(), tab.ClickAsync("#label-form button[type=submit]"));
        Assert.Equal(dashboard, tab.Url);
        Assert.Contains((await web.Registry.Features.GetLabelsAsync(web.Dictionary.Id, 1)), l => l.Label == "labelled in the browser");
        Assert.Contains("labelled in the browser", await tab.EvaluateExpressionAsync<string>("document.querySelector('#labels').innerText"));
    }
}
