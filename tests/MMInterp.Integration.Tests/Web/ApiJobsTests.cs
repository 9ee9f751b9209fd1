using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using MMInterp.Client.Web;
using MMInterp.Grains.Registry;
using MMInterp.Integration.Tests.Extraction;
using MMInterp.Kernels.Analyses;
using MMInterp.Kernels.Text;
using Microsoft.AspNetCore.Builder;
using Xunit;

namespace MMInterp.Integration.Tests.Web;

/// <summary>
/// The web API's job routes over a real cluster (three silos), a real Postgres registry and artefact store: work is
/// submitted with a write token through the same submission classes the CLI uses, followed to its end and its result
/// fetched; bad input is a one-line 400 naming the problem; a failed experiment is visibly failed on its page and in
/// the lists; the OpenAPI description lists the routes.
/// </summary>
public sealed class ApiJobsTests(ExtractionCluster fx) : IClassFixture<ExtractionCluster>, IAsyncLifetime
{
    const string Hook = "vision.blocks.1.hook_resid_post";
    WebApplication _app = null!;
    Uri _base = null!;
    string _read = "", _write = "";

    public async Task InitializeAsync()
    {
        await fx.Registry.Tokens.EnsureUserAsync("api-tester");
        _read = (await fx.Registry.Tokens.CreateAsync("api-tester", [TokenScope.Read])).Token;
        _write = (await fx.Registry.Tokens.CreateAsync("api-tester", [TokenScope.Write])).Token;
        _app = WebServer.Build(new WebServerOptions(Port: 0), fx.Registry, fx.Store, new WebCluster(_ => Task.FromResult(fx.Cluster.Client)));
        await _app.StartAsync();
        _base = WebServer.Address(_app);
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    HttpClient Client(string token)
    {
        var client = new HttpClient { BaseAddress = _base };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    static StringContent Body(string json) => new(json, Encoding.UTF8, "application/json");

    async Task<JsonObject> FollowAsync(HttpClient client, string follow)
    {
        var deadline = DateTime.UtcNow.AddMinutes(6);
        while (true)
        {
            var report = (JsonObject)JsonNode.Parse(await client.GetStringAsync(follow))!;
            var status = (string?)report["status"];
            if (status is "succeeded" or "failed" or "cancelled" || DateTime.UtcNow > deadline) return report;
            await Task.Delay(300);
        }
    }

    async Task<string> RefusedAsync(HttpClient client, string path, string json)
    {
        var answer = await client.PostAsync(path, Body(json));
        var text = await answer.Content.ReadAsStringAsync();
        Assert.True(answer.StatusCode == HttpStatusCode.BadRequest, $"{path} {json}: {(int)answer.StatusCode} {text}");
        var error = (string)JsonNode.Parse(text)!["error"]!;
        Assert.DoesNotContain('\n', error);
        return error;
    }

    [Fact]
    public async Task WorkIsSubmittedFollowedAndFetchedWithAWriteToken()
    {
        using var writer = Client(_write);
        using var reader = Client(_read);

        // A read token may follow but not submit; without a token nothing is even read.
        var forbidden = await reader.PostAsync("/api/jobs/extract", Body($$"""{"model": "clip-e2e", "hooks": ["{{Hook}}"], "id": "api-never"}"""));
        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
        using (var anonymous = new HttpClient { BaseAddress = _base })
        {
            var refused = await anonymous.PostAsync("/api/jobs/train-sae", Body("""{"activations": "x", "id": "api-never"}"""));
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
            Assert.Contains("an API token is required", await refused.Content.ReadAsStringAsync());
            Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/api/jobs/api-never")).StatusCode);
        }

        // Refused at the edge, one line naming the problem; nothing is started.
        Assert.Contains("unknown field 'modle'", await RefusedAsync(writer, "/api/jobs/extract", $$"""{"modle": "clip-e2e", "hooks": ["{{Hook}}"]}"""));
        Assert.Contains("shards must be at least 1", await RefusedAsync(writer, "/api/jobs/extract", $$"""{"model": "clip-e2e", "hooks": ["{{Hook}}"], "shards": 0}"""));
        Assert.Contains("model 'no-such-model' is not registered", await RefusedAsync(writer, "/api/jobs/extract", $$"""{"model": "no-such-model", "hooks": ["{{Hook}}"]}"""));
        Assert.Contains("--kind must be", await RefusedAsync(writer, "/api/jobs/train-sae", """{"activations": "x", "kind": "dense"}"""));
        Assert.Contains("unknown analysis kind", await RefusedAsync(writer, "/api/jobs/analyze", """{"kind": "no-such-analysis", "model": "clip-e2e"}"""));
        Assert.Contains("not valid JSON", await RefusedAsync(writer, "/api/jobs/extract", "model=clip-e2e"));
        Assert.Null(await fx.Registry.Runs.GetAsync("api-never"));

        // Extract, then train on what it registered, following each to its end.
        var started = await writer.PostAsync("/api/jobs/extract", Body($$"""{"model": "clip-e2e", "hooks": "{{Hook}}", "dataset": "shapes:train:24", "shards": 2, "id": "api-ext"}"""));
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        var accepted = JsonNode.Parse(await started.Content.ReadAsStringAsync())!;
        Assert.Equal(("api-ext", "/api/jobs/api-ext"), ((string?)accepted["id"], (string?)accepted["follow"]));
        var extraction = await FollowAsync(reader, "/api/jobs/api-ext");
        Assert.True((string?)extraction["status"] == "succeeded", extraction.ToJsonString());
        var setId = (string)extraction["result"]!["activation_set"]!;
        var set = JsonNode.Parse(await reader.GetStringAsync((string)extraction["result"]!["url"]!))!;
        Assert.Equal(setId, (string?)set["id"]);
        Assert.True((long?)set["row_count"] >= 24, set.ToJsonString());

        started = await writer.PostAsync("/api/jobs/train-sae", Body($$"""
            {"activations": "{{setId}}", "kind": "relu", "d_sae": 16, "steps": 20, "batch": 32, "checkpoint_every": 10, "id": "api-sae"}
            """));
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        var training = await FollowAsync(reader, "/api/jobs/api-sae");
        Assert.True((string?)training["status"] == "succeeded", training.ToJsonString());
        var dictionaryId = (string)training["result"]!["dictionary"]!;
        Assert.NotNull(training["result"]!["metrics"]!["fvu"]);
        Assert.Equal(16, (int?)JsonNode.Parse(await reader.GetStringAsync($"/api/dictionaries/{dictionaryId}"))!["d_sae"]);

        // A sweep: its axis values are checked at the edge, then its points come back with the result.
        Assert.Contains("sae.DSae", await RefusedAsync(writer, "/api/jobs/sweep", $$"""{"activations": "{{setId}}", "grid": {"sae.DSae": ["many"]} }"""));
        var unknownAxis = await RefusedAsync(writer, "/api/jobs/sweep", $$"""{"activations": "{{setId}}", "grid": {"sae.Foo": ["1", "2"]}, "id": "api-never"}""");
        Assert.Contains("sae.Foo", unknownAxis);
        Assert.Contains("sae.K", unknownAxis); // with the valid axes
        Assert.Null(await fx.Registry.Runs.GetAsync("api-never"));
        started = await writer.PostAsync("/api/jobs/sweep", Body($$"""
            {"activations": "{{setId}}", "kind": "relu", "steps": 20, "batch": 32, "checkpoint_every": 10, "grid": {"sae.DSae": ["8", "16"]}, "id": "api-sweep"}
            """));
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        var sweep = await FollowAsync(reader, "/api/jobs/api-sweep");
        Assert.True((string?)sweep["status"] == "succeeded", sweep.ToJsonString());
        Assert.Equal(2, sweep["result"]!["points"]!.AsArray().Count);

        // An analysis that fails on the cluster: followed to 'failed' with its reason, visibly failed on its page and in the list.
        var options = JsonNode.Parse(ClipDataStudyAnalysis.OptionsJson("dataset-0000000000000000", new Vocabulary("v", ["red", "blue"]), []))!;
        started = await writer.PostAsync("/api/jobs/analyze", Body(new JsonObject
        {
            ["kind"] = ClipDataStudyAnalysis.Kind, ["dictionary"] = dictionaryId, ["options"] = options, ["id"] = "api-failing-study",
        }.ToJsonString()));
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        var failed = await FollowAsync(reader, "/api/jobs/api-failing-study");
        Assert.Equal("failed", (string?)failed["status"]);
        var reason = (string)failed["error"]!;
        Assert.False(string.IsNullOrWhiteSpace(reason));
        Assert.Equal("api-failing-study", (string?)failed["experiment_id"]);
        var page = await reader.GetStringAsync("/experiments/api-failing-study");
        Assert.Contains("<span class=\"status-failed\">failed</span>", page);
        Assert.Contains(System.Net.WebUtility.HtmlEncode(reason), page);
        Assert.Contains("/runs/api-failing-study", page); // its analysis run is listed under it
        var list = await reader.GetStringAsync("/experiments");
        Assert.Contains("status-failed", list.Split("<tr>").Single(row => row.Contains("api-failing-study")));
        Assert.Contains("status-failed", (await reader.GetStringAsync("/runs")).Split("<tr>").Single(row => row.Contains("api-failing-study")));
        Assert.Equal("failed", (string?)JsonNode.Parse(await reader.GetStringAsync("/api/experiments/api-failing-study"))!["status"]);

        // The description of it all.
        var description = JsonNode.Parse(await reader.GetStringAsync("/api/openapi.json"))!;
        var paths = description["paths"]!.AsObject();
        foreach (var route in new[] { "/api/jobs/extract", "/api/jobs/train-sae", "/api/jobs/sweep", "/api/jobs/analyze", "/api/jobs/{id}" })
            Assert.True(paths.ContainsKey(route), $"{route} is not described: {string.Join(", ", paths.Select(p => p.Key))}");
        Assert.NotNull(paths["/api/jobs/extract"]!["post"]!["requestBody"]);
    }
}
