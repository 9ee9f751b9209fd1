using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using SkiaSharp;
using Xunit;

namespace MMInterp.Client.Tests.Web;

/// <summary>
/// What a user comparing runs and following lineage sees: lists that really sort and filter (server-side), run pages
/// whose curves and API series carry the stored points, a sweep page with its members and Pareto front, a compare
/// view, model and activation-set pages, and no link on any of these pages that leads nowhere.
/// </summary>
[Collection(CompareCollection.Name)]
public partial class CompareLineageTests(CompareFixture f)
{
    [GeneratedRegex("<tr>(.*?)</tr>", RegexOptions.Singleline)]
    private static partial Regex RowPattern();

    [GeneratedRegex("(?:href|src)=\"(/[^\"]*)\"")]
    private static partial Regex LinkPattern();

    /// <summary>The first link to <paramref name="prefix"/> in each body row of the table inside the element with <paramref name="id"/>.</summary>
    static List<string> RowIds(string html, string id, string prefix)
    {
        var at = html.IndexOf($"id=\"{id}\"", StringComparison.Ordinal);
        Assert.True(at >= 0, $"no element #{id}");
        var end = html.IndexOf("</table>", at, StringComparison.Ordinal);
        var table = end < 0 ? "" : html[at..end];
        return RowPattern().Matches(table).Select(m => Regex.Match(m.Groups[1].Value, $"href=\"{Regex.Escape(prefix)}([^\"/?]+)\""))
            .Where(m => m.Success).Select(m => Uri.UnescapeDataString(m.Groups[1].Value)).ToList();
    }

    async Task<string> PageAsync(HttpClient client, string path)
    {
        var answer = await client.GetAsync(path);
        var text = await answer.Content.ReadAsStringAsync();
        Assert.True(answer.StatusCode == HttpStatusCode.OK, $"GET {path}: {answer.StatusCode} {text[..Math.Min(400, text.Length)]}");
        return text;
    }

    static void AssertPng(byte[] bytes, string what)
    {
        using var bitmap = SKBitmap.Decode(bytes);
        Assert.True(bitmap is { Width: > 100, Height: > 100 }, $"{what} is not a picture");
    }

    [Fact]
    public async Task TheRunsListSortsByMetricAndConfigColumnsAndFilters()
    {
        using var client = f.Client();
        string[] byL0 = [f.Members[0].Id, f.Members[1].Id, f.Members[2].Id, f.FailedRun.Id];
        var ascending = RowIds(await PageAsync(client, "/runs?sort=l0&order=asc"), "runs", "/runs/");
        Assert.Equal([.. byL0, f.Sweep.Id], ascending); // the sweep logs no L0: nulls last
        var descending = RowIds(await PageAsync(client, "/runs?sort=l0&order=desc"), "runs", "/runs/");
        Assert.Equal([.. byL0.Reverse(), f.Sweep.Id], descending);
        // FVU orders the members differently from L0 (K=8 is best), so the order follows the column asked for.
        Assert.Equal([f.Members[1].Id, f.Members[2].Id, f.Members[0].Id, f.FailedRun.Id, f.Sweep.Id],
            RowIds(await PageAsync(client, "/runs?sort=fvu&order=asc"), "runs", "/runs/"));
        // A config column: the SAE's k, read from the run's SaeConfigJson; the sweep shows its base spec's k (4).
        var byK = RowIds(await PageAsync(client, "/runs?sort=k&order=desc"), "runs", "/runs/");
        Assert.Equal(f.FailedRun.Id, byK[0]);
        Assert.Equal(f.Members[2].Id, byK[1]);

        Assert.Equal([f.FailedRun.Id], RowIds(await PageAsync(client, "/runs?status=failed"), "runs", "/runs/"));
        Assert.Equal([f.FailedRun.Id], RowIds(await PageAsync(client, $"/runs?model={f.OtherModel.Id}"), "runs", "/runs/"));
        Assert.Equal([f.Members[1].Id], RowIds(await PageAsync(client, "/runs?max_fvu=0.22"), "runs", "/runs/"));
        Assert.Equal([f.Members[0].Id, f.Members[1].Id], RowIds(await PageAsync(client, $"/runs?sweep={f.Sweep.Id}&max_l0=8&sort=l0&order=asc"), "runs", "/runs/"));
        Assert.Equal([f.Sweep.Id], RowIds(await PageAsync(client, "/runs?kind=sweep&status="), "runs", "/runs/")); // a blank field is no filter

        var failed = await PageAsync(client, "/runs?status=failed");
        Assert.Contains("class=\"status-failed\" title=\"out of memory at step 100\"", failed);
        // A sort link keeps the filters.
        Assert.Contains("href=\"/runs?sort=fvu&amp;order=desc&amp;status=failed\"", failed);

        var bad = await client.GetAsync("/runs?sort=colour");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("unknown sort column &#39;colour&#39;; one of: id, kind", await bad.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.BadRequest, (await client.GetAsync("/runs?max_fvu=low")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await client.GetAsync("/runs?status=done")).StatusCode);

        var api = JsonNode.Parse(await PageAsync(client, "/api/compare/runs?sort=l0&order=asc"))!;
        Assert.Equal([.. byL0, f.Sweep.Id], api["rows"]!.AsArray().Select(r => (string)r!["id"]!).ToArray());
        Assert.Equal(8.0, (double?)api["rows"]![1]!["k"]);
        Assert.Equal(f.Model.Id, (string?)api["rows"]![1]!["model_id"]);
        Assert.Equal(2, (int?)api["rows"]![1]!["layer"]);
    }

    [Fact]
    public async Task TheDictionariesListSortsAndFilters()
    {
        using var client = f.Client();
        Assert.Equal([f.DictK8.Id, f.DictK4.Id, f.OtherDict.Id], RowIds(await PageAsync(client, "/dictionaries?sort=fvu&order=asc"), "dictionaries", "/dictionaries/"));
        Assert.Equal([f.OtherDict.Id, f.DictK4.Id, f.DictK8.Id], RowIds(await PageAsync(client, "/dictionaries?sort=dead&order=desc"), "dictionaries", "/dictionaries/"));
        Assert.Equal([f.DictK8.Id, f.DictK4.Id], RowIds(await PageAsync(client, "/dictionaries?sort=k&order=desc&architecture=topk"), "dictionaries", "/dictionaries/"));
        Assert.Equal([f.OtherDict.Id], RowIds(await PageAsync(client, $"/dictionaries?model={f.OtherModel.Id}"), "dictionaries", "/dictionaries/"));
        Assert.Equal([f.DictK4.Id, f.DictK8.Id], RowIds(await PageAsync(client, $"/dictionaries?activation_set={f.Set.Id}&sort=l0&order=asc"), "dictionaries", "/dictionaries/"));
        var api = JsonNode.Parse(await PageAsync(client, "/api/compare/dictionaries?sort=fvu&order=asc&max_fvu=0.5"))!["rows"]!.AsArray();
        Assert.Equal([f.DictK8.Id, f.DictK4.Id], api.Select(r => (string)r!["id"]!).ToArray());
        Assert.Equal(1.0, (double?)api[0]!["sparsity_coefficient"]); // from the training run's config
        Assert.Equal(100.0, (double?)api[0]!["steps"]);
    }

    [Fact]
    public async Task ARunPagePlotsItsStoredSeriesAndTheApiServesEveryPoint()
    {
        using var client = f.Client();
        var run = f.Members[1];
        var page = await PageAsync(client, $"/runs/{run.Id}");
        foreach (var name in new[] { "dead_fraction", "fvu", "l0", "loss" })
        {
            Assert.Contains($"src=\"/runs/{run.Id}/curves/{name}.png\"", page);
            var png = await client.GetAsync($"/runs/{run.Id}/curves/{name}.png");
            Assert.Equal("image/png", png.Content.Headers.ContentType?.MediaType);
            AssertPng(await png.Content.ReadAsByteArrayAsync(), $"the {name} curve");
        }
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"/runs/{run.Id}/curves/accuracy.png")).StatusCode);

        var all = JsonNode.Parse(await PageAsync(client, $"/api/runs/{run.Id}/metrics"))!;
        var series = all["series"]!.AsArray().ToDictionary(s => (string)s!["name"]!, s => s!["points"]!.AsArray().Select(p => ((long)p!["step"]!, (double)p["value"]!)).ToList());
        Assert.Equal(["dead_fraction", "fvu", "l0", "loss"], series.Keys.Order().ToArray());
        foreach (var (name, points) in series) Assert.Equal(f.Points[(run.Id, name)], points);
        var one = JsonNode.Parse(await PageAsync(client, $"/api/runs/{run.Id}/metrics/fvu?from_step=50"))!;
        Assert.Equal(f.Points[(run.Id, "fvu")].Skip(1).Select(p => p.Value), one["points"]!.AsArray().Select(p => (double)p!["value"]!));
    }

    [Fact]
    public async Task TheSweepPageShowsMembersTheParetoTableAndPlot()
    {
        using var client = f.Client();
        var page = await PageAsync(client, $"/sweeps/{f.Sweep.Id}");
        Assert.Equal(f.Members.Select(m => m.Id), RowIds(page, "members", "/runs/"));
        Assert.Contains("sae.K=16", page);
        Assert.Equal([f.Members[0].Id, f.Members[1].Id], RowIds(page, "pareto", "/runs/")); // K=16 is beaten by K=8 on both
        Assert.Contains($"src=\"/sweeps/{f.Sweep.Id}/pareto.png\"", page);
        AssertPng(await client.GetByteArrayAsync($"/sweeps/{f.Sweep.Id}/pareto.png"), "the Pareto plot");

        var api = JsonNode.Parse(await PageAsync(client, $"/api/sweeps/{f.Sweep.Id}"))!;
        Assert.Equal([f.Members[0].Id, f.Members[1].Id], api["front"]!.AsArray().Select(x => (string)x!).ToArray());
        Assert.Equal("16", (string?)api["members"]![2]!["axis_values"]!["sae.K"]);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"/sweeps/{f.FailedRun.Id}")).StatusCode); // not a sweep
    }

    [Fact]
    public async Task TheCompareViewSetsParametersAgainstMetricsAndOverlaysCurves()
    {
        using var client = f.Client();
        var query = $"run={f.Members[0].Id}&run={f.FailedRun.Id}";
        var page = await PageAsync(client, $"/compare?{query}");
        Assert.Matches("<tr class=\"differs\"><th>k <span class=\"muted\">\\(param\\)</span></th><td>4</td><td>32</td></tr>", page);
        Assert.Matches("<tr class=\"differs\"><th>FVU</th><td>0.3</td><td>0.5</td></tr>", page);
        Assert.Matches("<tr><th>steps <span class=\"muted\">\\(param\\)</span></th><td>100</td><td>100</td></tr>", page);
        var overlay = $"/compare/curves/fvu.png?{query}";
        Assert.Contains($"src=\"{overlay.Replace("&", "&amp;")}\"", page);
        AssertPng(await client.GetByteArrayAsync(overlay), "the overlaid FVU curves");

        var api = JsonNode.Parse(await PageAsync(client, $"/api/compare?{query}"))!["runs"]!.AsArray();
        Assert.Equal([4.0, 32.0], api.Select(r => (double)r!["k"]!));
        Assert.Equal(HttpStatusCode.BadRequest, (await client.GetAsync("/compare")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/compare?run=run-nope")).StatusCode);
        // The runs list's checkboxes post to /compare as run=ID.
        Assert.Contains("<form method=\"get\" action=\"/compare\"", await PageAsync(client, "/runs"));
    }

    [Fact]
    public async Task LineageRunsBothWaysBetweenModelsSetsDictionariesAndExperiments()
    {
        using var client = f.Client();
        var model = await PageAsync(client, $"/models/{f.Model.Id}");
        Assert.Equal([f.Set.Id], RowIds(model, "activation-sets", "/activation-sets/"));
        Assert.Equal(new[] { f.DictK4.Id, f.DictK8.Id }.Order(), RowIds(model, "dictionaries", "/dictionaries/").Order());
        Assert.Contains($"href=\"/experiments/{f.Experiment.Id}\"", model);
        Assert.Contains($"href=\"/runs/{f.Members[2].Id}\"", model);
        Assert.DoesNotContain(f.OtherDict.Id, model);

        var set = await PageAsync(client, $"/activation-sets/{f.Set.Id}");
        Assert.Contains($"href=\"/models/{f.Model.Id}\"", set);
        Assert.Equal(new[] { f.DictK4.Id, f.DictK8.Id }.Order(), RowIds(set, "dictionaries", "/dictionaries/").Order());
        Assert.Contains($"href=\"/experiments/{f.Experiment.Id}\"", set);

        var dictionary = await PageAsync(client, $"/dictionaries/{f.DictK8.Id}");
        Assert.Contains($"href=\"/models/{f.Model.Id}\"", dictionary);
        Assert.Contains($"href=\"/activation-sets/{f.Set.Id}\"", dictionary);
        Assert.Contains($"href=\"/runs/{f.Members[1].Id}\"", dictionary);
        Assert.Contains($"href=\"/experiments/{f.Experiment.Id}\"", dictionary);

        var experiment = await PageAsync(client, $"/experiments/{f.Experiment.Id}");
        Assert.Contains($"href=\"/dictionaries/{f.DictK8.Id}\"", experiment); // named in its config

        var run = await PageAsync(client, $"/runs/{f.Members[1].Id}");
        foreach (var href in new[] { $"/models/{f.Model.Id}", $"/activation-sets/{f.Set.Id}", $"/dictionaries/{f.DictK8.Id}", $"/sweeps/{f.Sweep.Id}", $"/experiments/{f.Experiment.Id}" })
            Assert.Contains($"href=\"{href}\"", run);

        var lineage = JsonNode.Parse(await PageAsync(client, $"/api/models/{f.Model.Id}/lineage"))!;
        Assert.Equal([f.Set.Id], lineage["activation_sets"]!.AsArray().Select(x => (string)x!).ToArray());
        Assert.Equal([f.Experiment.Id], lineage["experiments"]!.AsArray().Select(x => (string)x!).ToArray());
        var back = JsonNode.Parse(await PageAsync(client, $"/api/dictionaries/{f.DictK8.Id}/lineage"))!;
        Assert.Equal((f.Model.Id, f.Set.Id), ((string)back["model"]![0]!, (string)back["activation_set"]![0]!));

        var lists = await PageAsync(client, "/models") + await PageAsync(client, "/activation-sets");
        Assert.Contains($"href=\"/models/{f.OtherModel.Id}\"", lists);
        Assert.Contains($"href=\"/activation-sets/{f.OtherSet.Id}\"", lists);
    }

    [Fact]
    public async Task ArchivedRowsLeaveTheWebListsAsTheyLeaveRegistryList()
    {
        using var client = f.Client();
        var shelved = await f.Registry.Models.RegisterAsync(new Grains.Registry.NewModel("shelved-clip", Grains.Registry.ModelFamily.Clip));
        await f.Registry.Annotations.ArchiveAsync("model", shelved.Id, archived: true);
        try
        {
            var list = await PageAsync(client, "/models");
            Assert.DoesNotContain($"href=\"/models/{shelved.Id}\"", list);
            Assert.Contains($"href=\"/models/{f.Model.Id}\"", list);
            Assert.Contains("1 archived model row hidden", list);
            Assert.Contains($"href=\"/models/{shelved.Id}\"", await PageAsync(client, "/models?archived=1"));
            Assert.Contains("shelved-clip", await PageAsync(client, $"/models/{shelved.Id}")); // still reachable by its id
        }
        finally
        {
            await f.Registry.Annotations.ArchiveAsync("model", shelved.Id, archived: false);
        }
    }

    [Fact]
    public async Task NoLinkOnTheComparePagesOrTheLineagePagesLeadsNowhere()
    {
        using var client = f.Client();
        string[] pages =
        [
            "/runs", "/runs?sort=fvu&order=asc&status=succeeded", "/dictionaries", "/models", "/activation-sets", $"/models/{f.Model.Id}", $"/models/{f.OtherModel.Id}",
            $"/activation-sets/{f.Set.Id}", $"/activation-sets/{f.OtherSet.Id}", $"/dictionaries/{f.DictK8.Id}", $"/dictionaries/{f.OtherDict.Id}",
            $"/runs/{f.Members[0].Id}", $"/runs/{f.Sweep.Id}", $"/runs/{f.FailedRun.Id}", $"/sweeps/{f.Sweep.Id}", $"/experiments/{f.Experiment.Id}",
            $"/compare?run={f.Members[0].Id}&run={f.Members[2].Id}",
        ];
        var checkedLinks = new HashSet<string>();
        foreach (var page in pages)
        {
            var html = await PageAsync(client, page);
            foreach (var link in LinkPattern().Matches(html).Select(m => WebUtility.HtmlDecode(m.Groups[1].Value)).Where(l => l is not ("/logout" or "/site.css")))
            {
                if (!checkedLinks.Add(link)) continue;
                var answer = await client.GetAsync(link);
                Assert.True(answer.StatusCode == HttpStatusCode.OK, $"{page} links {link}, which answers {answer.StatusCode}");
            }
        }
        Assert.True(checkedLinks.Count > 60, $"only {checkedLinks.Count} links checked");
    }
}
