using PuppeteerSharp;
using Xunit;

namespace MMInterp.Client.Tests.Web;

/// <summary>
/// End to end in Debian's headless Chromium: what a person sees. Without login the dashboard shows the login form;
/// after pasting a token it shows the feature's label, its ground-truth concept, and images that actually decoded.
/// </summary>
[Collection(WebCollection.Name)]
public class DashboardBrowserTests(WebFixture web)
{
    const string Chromium = "/usr/bin/chromium";

    internal static Task<IBrowser> LaunchAsync(params string[] extraArgs) => Puppeteer.LaunchAsync(new LaunchOptions
    {
        ExecutablePath = File.Exists(Chromium) ? Chromium : throw new InvalidOperationException($"{Chromium} is missing: run infra/scripts/setup.sh (apt-get install chromium)"),
        Headless = true,
        // Tests run as root, where Chromium's sandbox refuses to start; /dev/shm is small in containers.
        Args = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", .. extraArgs],
    });

    [Fact]
    public async Task APersonLogsInWithATokenAndSeesTheFeatureDashboard()
    {
        await using var browser = await LaunchAsync();
        await using var page = await browser.NewPageAsync();
        var dashboard = new Uri(web.BaseUri, web.FeaturePath(0)).ToString();

        // Not logged in: the dashboard URL lands on the login form and shows nothing of the feature.
        await page.GoToAsync(dashboard);
        Assert.Contains("/login", page.Url);
        Assert.NotNull(await page.QuerySelectorAsync("#login-form input[name=token]"));
        Assert.DoesNotContain(WebFixture.BestLabel, await page.GetContentAsync());

        // Paste the token and submit: back on the dashboard.
        await page.TypeAsync("#login-form input[name=token]", web.ReadToken);
        await Task.WhenAll(page.WaitForNavigationAsync(), page.ClickAsync("#login-form button[type=submit]"));
        Assert.Equal(dashboard, page.Url);

        Assert.Equal(WebFixture.BestLabel, await page.EvaluateExpressionAsync<string>("document.querySelector('#best-label').innerText"));
        Assert.Equal(WebFixture.Concept, await page.EvaluateExpressionAsync<string>("document.querySelector('#ground-truth .concept').innerText"));
        var labels = await page.EvaluateExpressionAsync<string>("document.querySelector('#labels').innerText");
        Assert.Contains("red", labels);
        Assert.Contains("free-label", labels);
        Assert.Contains("steerable", await page.EvaluateExpressionAsync<string>("document.querySelector('#steering').innerText"));

        // Each picture was fetched (with the login cookie) and decoded: a broken or refused image has naturalWidth 0.
        foreach (var id in new[] { "img-top-examples", "img-histogram", "img-steering" })
        {
            var width = await page.EvaluateExpressionAsync<int>(
                $"(async () => {{ const i = document.getElementById('{id}'); if (!i) return -1; await i.decode().catch(() => {{}}); return i.complete ? i.naturalWidth : 0; }})()");
            Assert.True(width > 0, $"image #{id} did not load (naturalWidth {width})");
        }
        var histogram = await page.EvaluateExpressionAsync<int[]>("(() => { const i = document.getElementById('img-histogram'); return [i.naturalWidth, i.naturalHeight]; })()");
        // The CurvePng plot itself (not a placeholder), its 1440x840 pixels shown at their logical 720x420 (source srcset 2x).
        Assert.Equal([720, 420], histogram);

        // A read token sees no label form; the feature table links back to this dashboard.
        Assert.Null(await page.QuerySelectorAsync("#label-form"));
        await page.GoToAsync(new Uri(web.BaseUri, $"/dictionaries/{web.Dictionary.Id}?sort=auroc").ToString());
        await Task.WhenAll(page.WaitForNavigationAsync(), page.ClickAsync("#features a[href$='/features/0']"));
        Assert.Equal(dashboard, page.Url);
    }
}
