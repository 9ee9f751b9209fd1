using MMInterp.Client.Web;
using MMInterp.Grains.Registry;
using MMInterp.Integration.Tests.Extraction;
using Microsoft.AspNetCore.Builder;
using PuppeteerSharp;
using Xunit;

namespace MMInterp.Integration.Tests.Web;

/// <summary>
/// Submitting work from the web UI in a real browser (Debian's headless Chromium) to a real cluster (three silos),
/// registry and artefact store: a person logged in with a write token opens /submit, sees a bad submission refused on
/// the form in one line, extracts activations from the test model, follows the job page (it reloads itself) to
/// success, opens the activation set it made, trains a small SAE on it the same way and opens its dictionary.
/// </summary>
public sealed class SubmitBrowserTests(ExtractionCluster fx) : IClassFixture<ExtractionCluster>, IAsyncLifetime
{
    const string Hook = "vision.blocks.1.hook_resid_post";
    const string Chromium = "/usr/bin/chromium";
    WebApplication _app = null!;
    Uri _base = null!;
    string _write = "";

    public async Task InitializeAsync()
    {
        await fx.Registry.Tokens.EnsureUserAsync("web-submitter");
        _write = (await fx.Registry.Tokens.CreateAsync("web-submitter", [TokenScope.Write])).Token;
        _app = WebServer.Build(new WebServerOptions(Port: 0), fx.Registry, fx.Store, new WebCluster(_ => Task.FromResult(fx.Cluster.Client)));
        await _app.StartAsync();
        _base = WebServer.Address(_app);
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    static Task<IBrowser> LaunchAsync() => Puppeteer.LaunchAsync(new LaunchOptions
    {
        ExecutablePath = File.Exists(Chromium) ? Chromium : throw new InvalidOperationException($"{Chromium} is missing: run infra/scripts/setup.sh (apt-get install chromium)"),
        Headless = true,
        // Tests run as root, where Chromium's sandbox refuses to start; /dev/shm is small in containers.
        Args = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
    });

    string Url(string path) => new Uri(_base, path).ToString();

    /// <summary>Fills a form's fields (ids "{kind}-{field}") on a fresh /submit and submits it; returns where the browser landed.</summary>
    static async Task Submit(IPage tab, string kind, params (string Field, string Value)[] fields)
    {
        foreach (var (field, value) in fields) await tab.TypeAsync($"#{kind}-{field}", value);
        await Task.WhenAll(tab.WaitForNavigationAsync(), tab.ClickAsync($"#submit-{kind} button[type=submit]"));
    }

    static async Task<string> Text(IPage tab, string selector) =>
        await tab.EvaluateExpressionAsync<string>($"document.querySelector('{selector}')?.innerText ?? '(no {selector})'");

    /// <summary>Waits on the job page as a person would: it reloads itself until the job ends.</summary>
    static async Task<string> FollowAsync(IPage tab)
    {
        var deadline = DateTime.UtcNow.AddMinutes(6);
        var missing = 0;
        while (true)
        {
            try
            {
                var status = await Text(tab, "#job-status");
                // An error page instead of the job page (seen on three reads, not one caught mid-reload) ends the wait too.
                if (status is "succeeded" or "failed" or "cancelled" || DateTime.UtcNow > deadline
                    || (status.StartsWith("(no ", StringComparison.Ordinal) && ++missing >= 3)) return status;
            }
            catch (PuppeteerException) { } // read while the page was reloading itself
            await Task.Delay(300);
        }
    }

    [Fact]
    public async Task APersonSubmitsWorkFollowsItAndOpensWhatItMade()
    {
        await using var browser = await LaunchAsync();
        await using var tab = await browser.NewPageAsync();
        await tab.GoToAsync(Url($"/login?token={Uri.EscapeDataString(_write)}&return=/submit"));
        Assert.Equal(Url("/submit"), tab.Url);

        // A bad submission: the road's error on the extract form, nothing started.
        await Submit(tab, "extract", ("model", "no-such-model"), ("hooks", Hook), ("id", "web-bad"));
        Assert.Equal(Url("/submit/extract"), tab.Url);
        Assert.Equal("model 'no-such-model' is not registered (see `mminterp models list`)", await Text(tab, "#error-extract"));
        Assert.Null(await fx.Registry.Runs.GetAsync("web-bad"));

        // Extract from the test model, follow the job page to success, open the activation set.
        await tab.GoToAsync(Url("/submit"));
        await Submit(tab, "extract", ("model", "clip-e2e"), ("hooks", Hook), ("dataset", "shapes:train:24"), ("shards", "2"), ("id", "web-ext"));
        Assert.Equal(Url("/jobs/web-ext"), tab.Url);
        var status = await FollowAsync(tab);
        Assert.True(status == "succeeded", $"extraction {status}: {await Text(tab, "main")}");
        await Task.WhenAll(tab.WaitForNavigationAsync(), tab.ClickAsync("#job-result a[href^='/activation-sets/']"));
        var set = await fx.Registry.ActivationSets.GetAsync(Uri.UnescapeDataString(tab.Url[Url("/activation-sets/").Length..]));
        Assert.NotNull(set);
        Assert.Equal("clip-e2e", set.ModelId);
        Assert.Contains($"Activation set {set.Id}", await Text(tab, "h1"));

        // Train a tiny SAE on it the same way; its job page links to the dictionary it registered.
        await tab.GoToAsync(Url("/submit"));
        await Submit(tab, "train-sae", ("activations", set.Id), ("kind", "relu"), ("d_sae", "16"), ("steps", "20"), ("batch", "32"),
            ("checkpoint_every", "10"), ("id", "web-sae"));
        Assert.Equal(Url("/jobs/web-sae"), tab.Url);
        status = await FollowAsync(tab);
        Assert.True(status == "succeeded", $"training {status}: {await Text(tab, "main")}");
        Assert.Contains("fvu", await Text(tab, "#job-result"));
        await Task.WhenAll(tab.WaitForNavigationAsync(), tab.ClickAsync("#job-result a[href^='/dictionaries/']"));
        var dictionary = await fx.Registry.Dictionaries.GetAsync(Uri.UnescapeDataString(tab.Url[Url("/dictionaries/").Length..]));
        Assert.NotNull(dictionary);
        Assert.Equal(("web-sae", 16, set.Id), (dictionary.TrainingRunId, dictionary.DSae, dictionary.ActivationSetId));
        Assert.Contains(dictionary.Id, await Text(tab, "h1"));
    }
}
