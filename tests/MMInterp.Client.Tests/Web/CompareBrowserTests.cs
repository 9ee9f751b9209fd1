using PuppeteerSharp;
using Xunit;

namespace MMInterp.Client.Tests.Web;

/// <summary>
/// In headless Chromium, as a person compares runs: clicking a column header sorts the runs list (twice: the order
/// flips), the filter form narrows it, ticking two runs and pressing "compare" opens the side-by-side view with its
/// overlaid curves, and the sweep page's Pareto plot and a run's curves are pictures that decode.
/// </summary>
[Collection(CompareCollection.Name)]
public class CompareBrowserTests(CompareFixture f)
{
    const string RowIdsScript = "Array.from(document.querySelectorAll('#runs tbody tr')).map(r => r.querySelector('a[href^=\"/runs/\"]').textContent)";

    static Task<int> ImageWidthAsync(IPage page, string selector) => page.EvaluateExpressionAsync<int>(
        $"(async () => {{ const i = document.querySelector('{selector}'); if (!i) return -1; await i.decode().catch(() => {{}}); return i.complete ? i.naturalWidth : 0; }})()");

    [Fact]
    public async Task APersonSortsFiltersAndComparesRuns()
    {
        await using var browser = await DashboardBrowserTests.LaunchAsync();
        await using var page = await browser.NewPageAsync();
        await page.GoToAsync(new Uri(f.BaseUri, $"/login?token={Uri.EscapeDataString(f.Token)}&return=/runs").ToString());
        Assert.EndsWith("/runs", page.Url);

        // The FVU header: first click sorts high to low, the second low to high.
        await Task.WhenAll(page.WaitForNavigationAsync(), page.ClickAsync("#runs th a.sort[href*='sort=fvu']"));
        Assert.Equal([f.FailedRun.Id, f.Members[0].Id, f.Members[2].Id, f.Members[1].Id, f.Sweep.Id], await page.EvaluateExpressionAsync<string[]>(RowIdsScript));
        await Task.WhenAll(page.WaitForNavigationAsync(), page.ClickAsync("#runs th a.sort[href*='sort=fvu']"));
        Assert.Equal([f.Members[1].Id, f.Members[2].Id, f.Members[0].Id, f.FailedRun.Id, f.Sweep.Id], await page.EvaluateExpressionAsync<string[]>(RowIdsScript));

        // The filter form keeps the sort: only the sweep's members, still by FVU ascending.
        await page.TypeAsync("#filters input[name=sweep]", f.Sweep.Id);
        await Task.WhenAll(page.WaitForNavigationAsync(), page.ClickAsync("#filters button[type=submit]"));
        Assert.Equal([f.Members[1].Id, f.Members[2].Id, f.Members[0].Id], await page.EvaluateExpressionAsync<string[]>(RowIdsScript));

        // Tick two members and compare them.
        await page.ClickAsync($"#runs input[value='{f.Members[0].Id}']");
        await page.ClickAsync($"#runs input[value='{f.Members[2].Id}']");
        await Task.WhenAll(page.WaitForNavigationAsync(), page.ClickAsync("#compare-form button[type=submit]"));
        Assert.Contains("/compare?run=", page.Url);
        var header = await page.EvaluateExpressionAsync<string[]>("Array.from(document.querySelectorAll('#compare thead th a')).map(a => a.textContent)");
        Assert.Equal([f.Members[2].Id, f.Members[0].Id], header); // in the list's order (FVU ascending), as the form sends them
        var differing = await page.EvaluateExpressionAsync<string[]>("Array.from(document.querySelectorAll('#compare tr.differs th')).map(t => t.textContent)");
        Assert.Contains("k (param)", differing);
        Assert.Contains("FVU", differing);
        Assert.True(await ImageWidthAsync(page, "#overlay-fvu") > 0, "the overlaid FVU curves did not load");

        // The sweep page's Pareto plot and a member's own curve are real pictures.
        await page.GoToAsync(new Uri(f.BaseUri, $"/sweeps/{f.Sweep.Id}").ToString());
        Assert.Equal(720, await ImageWidthAsync(page, "#pareto-plot"));
        await page.GoToAsync(new Uri(f.BaseUri, $"/runs/{f.Members[1].Id}").ToString());
        Assert.Equal(720, await ImageWidthAsync(page, "#curve-loss"));
    }
}
