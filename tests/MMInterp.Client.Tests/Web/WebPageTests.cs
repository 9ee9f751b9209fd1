using System.Net;
using System.Text.Json.Nodes;
using MMInterp.Kernels.Artefacts;
using Xunit;

namespace MMInterp.Client.Tests.Web;

[Collection(WebCollection.Name)]
public class WebPageTests(WebFixture web)
{
    [Fact]
    public async Task TheDashboardShowsLabelsTruthSteeringAndImagesOfAFeature()
    {
        using var client = web.Client(web.ReadToken);
        var html = await client.GetStringAsync(web.FeaturePath(0));
        Assert.Contains($"<b id=\"best-label\">{WebFixture.BestLabel}</b>", html);
        Assert.Contains($"<b class=\"concept\">{WebFixture.Concept}</b>", html);
        Assert.Contains("AUROC <b>0.970</b>", html);
        foreach (var method in new[] { "free-label", "steering", "ground-truth" }) Assert.Contains($"<span class=\"method method-{method}\">{method}</span>", html);
        Assert.Contains("<span class=\"yes\">steerable</span>", html);
        Assert.Contains($"<img id=\"img-top-examples\" src=\"/artefacts/{web.TopExamplesPng}\"", html);
        Assert.Contains($"<img id=\"img-histogram\" src=\"/artefacts/{web.HistogramPng}\"", html);
        Assert.Contains($"<img id=\"img-steering\" src=\"/artefacts/{web.SteeringPng}\"", html);

        // The images are the stored bytes, served as PNG.
        var png = await client.GetAsync($"/artefacts/{web.HistogramPng}");
        Assert.Equal("image/png", png.Content.Headers.ContentType!.MediaType);
        Assert.Equal(web.HistogramPng, ArtefactHash.Of(await png.Content.ReadAsByteArrayAsync()));
    }

    [Fact]
    public async Task MalformedStatsRenderAsMissingAndMarkupIsEscaped()
    {
        using var client = web.Client(web.ReadToken);
        var odd = await client.GetStringAsync(web.FeaturePath(3));
        Assert.Contains("(not scored against ShapesWorld truth)", odd);
        Assert.Contains("(no activation histogram image)", odd);
        Assert.DoesNotContain("not-a-sha", odd);

        var hostile = await client.GetAsync(web.FeaturePath(2));
        var html = await hostile.Content.ReadAsStringAsync();
        Assert.DoesNotContain("<script", html);
        Assert.Contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;", html);
        Assert.StartsWith("default-src 'none';", hostile.Headers.GetValues("Content-Security-Policy").Single()); // no scripts, even injected ones
        Assert.DoesNotContain("<script", await client.GetStringAsync($"/dictionaries/{web.Dictionary.Id}"));
    }

    [Fact]
    public async Task TheFeatureTableSortsAndPages()
    {
        using var client = web.Client(web.ReadToken);
        string Order(string html) => string.Concat(new[] { 0, 1, 2, 3 }
            .Select(i => (i, at: html.IndexOf($"/features/{i}\">{i}</a>", StringComparison.Ordinal)))
            .Where(p => p.at >= 0).OrderBy(p => p.at).Select(p => p.i));
        var path = $"/dictionaries/{web.Dictionary.Id}";
        Assert.Equal("0123", Order(await client.GetStringAsync(path)));
        Assert.Equal("0123", Order(await client.GetStringAsync(path + "?sort=auroc"))); // best first, missing last
        Assert.Equal("1023", Order(await client.GetStringAsync(path + "?sort=auroc&order=asc"))); // missing last either way
        Assert.Equal("1023", Order(await client.GetStringAsync(path + "?sort=density")));
        Assert.Equal("3210", Order(await client.GetStringAsync(path + "?sort=index&order=desc")));
        var bad = await client.GetAsync(path + "?sort=colour");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("sort must be one of index, label, concept, auroc, density, max, steering, got &#39;colour&#39;", await bad.Content.ReadAsStringAsync());

        var api = JsonNode.Parse(await client.GetStringAsync($"/api{path}/features?sort=steering&page_size=2&page=1"))!;
        Assert.Equal((4, 2), ((int?)api["total"], (int?)api["pages"]));
        Assert.Equal([0, 1], api["features"]!.AsArray().Select(f => (int)f!["index"]!).ToArray());
        Assert.Equal(WebFixture.Concept, (string?)api["features"]![0]!["concept"]);
    }

    [Fact]
    public async Task RegistryPagesListEveryKind()
    {
        using var client = web.Client(web.ReadToken);
        var overview = await client.GetStringAsync("/");
        Assert.Contains("Logged in as alice", overview);
        Assert.Contains(web.Dictionary.Id, await client.GetStringAsync("/dictionaries"));
        Assert.Contains("tiny-clip", await client.GetStringAsync("/models"));
        var runs = await client.GetStringAsync("/runs");
        Assert.Contains(web.Run.Id, runs);
        Assert.Contains("<td>0.2</td>", runs); // the FVU column: the run's last logged fvu (1/5 at step 4)
        Assert.Contains("running", runs);

        var experiment = await client.GetStringAsync($"/experiments/{web.Experiment.Id}");
        Assert.Contains("<td>concept_recovery</td><td>0.8</td>", experiment);
        Assert.Contains($"src=\"/artefacts/{web.ParetoPng}\"", experiment);
        Assert.Contains("random_share", experiment); // results beyond figures/images still show
        // Readable as written (not \u003E), and still HTML-escaped.
        Assert.Contains("what colour is the square? -&gt; orange &lt;script&gt;", experiment);
        Assert.DoesNotContain("<script", experiment);

        var json = JsonNode.Parse(await client.GetStringAsync($"/api/experiments/{web.Experiment.Id}"))!;
        Assert.Equal(0.8, (double?)json["results"]!["figures"]!["concept_recovery"]);
        var counts = JsonNode.Parse(await client.GetStringAsync("/api/overview"))!;
        Assert.Equal((1, 1, 1), ((int?)counts["models"], (int?)counts["dictionaries"], (int?)counts["experiments"]));
    }

    [Fact]
    public async Task UnknownRowsAndCorruptedArtefactsAreReportedNotServed()
    {
        using var client = web.Client(web.ReadToken);
        var page = await client.GetAsync("/dictionaries/dict-nope");
        Assert.Equal(HttpStatusCode.NotFound, page.StatusCode);
        Assert.Contains("no dictionary &#39;dict-nope&#39; in the registry", await page.Content.ReadAsStringAsync());
        var api = await client.GetAsync("/api/dictionaries/dict-nope/features/0");
        Assert.Equal(HttpStatusCode.NotFound, api.StatusCode);
        Assert.Equal("no dictionary 'dict-nope' in the registry", (string?)JsonNode.Parse(await api.Content.ReadAsStringAsync())!["error"]);
        Assert.Equal(HttpStatusCode.BadRequest, (await client.GetAsync("/artefacts/not-a-hash")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"/artefacts/{new string('0', 64)}")).StatusCode);

        var bytes = "will rot"u8.ToArray();
        var stored = await web.Artefacts.PutAsync(bytes, ArtefactKind.Png);
        var file = web.Artefacts.PathOf(stored.Sha256);
        File.SetAttributes(file, FileAttributes.Normal);
        await File.WriteAllBytesAsync(file, "will ro7"u8.ToArray());
        var rotten = await client.GetAsync($"/artefacts/{stored.Sha256}");
        Assert.Equal(HttpStatusCode.InternalServerError, rotten.StatusCode);
        Assert.Contains("corrupted", await rotten.Content.ReadAsStringAsync());
        Assert.DoesNotContain("will ro7", await rotten.Content.ReadAsStringAsync());
    }
}
