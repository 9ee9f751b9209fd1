using System.Net;
using System.Text.Json.Nodes;
using MMInterp.Grains.Contracts.Experiments;
using MMInterp.Grains.Registry;
using Xunit;

namespace MMInterp.Client.Tests.Web;

/// <summary>The feature table's filters through the page and the API, on a dictionary of its own (other web tests
/// add labels to the shared one).</summary>
[Collection(WebSearchCollection.Name)]
public class FeatureFilterWebTests(WebFixture web)
{
    async Task<string> DictionaryAsync()
    {
        var sae = await web.Registry.Dictionaries.RegisterAsync(new NewDictionary(web.Model.Id, "vision.blocks.2.hook_resid_post", SaeArchitecture.TopK, 64, 16,
            web.Model.CheckpointSha256!));
        var sha = web.TopExamplesPng;
        await web.Registry.Features.UpsertStatsAsync(sae.Id,
        [
            new(0, $$$"""{"ground_truth": {"concept": "colour=red", "auroc": 0.97}, "steering": {"delta_prob": 0.5, "steerable": true}, "images": {"top_examples": "{{{sha}}}"}}"""),
            new(1, """{"ground_truth": {"concept": "position=upper left", "auroc": 0.71}, "steering": {"delta_prob": 0.01, "steerable": false}}"""),
            new(2, """{"ground_truth": {"concept": "colour=green", "auroc": 0.55}}"""),
            new(3, """{"density": 0.5}"""),
        ]);
        await web.Registry.Features.UpsertLabelsAsync(sae.Id,
        [
            new(0, "red things", 0.5, LabelMethod.Steering), new(0, "colour=red", 0.97, LabelMethod.GroundTruth),
            new(2, "dark red", 2.0, LabelMethod.FreeLabel), new(3, "circle", 1.5, LabelMethod.FreeLabel),
        ]);
        return sae.Id;
    }

    [Fact]
    public async Task FiltersReturnExactlyTheMatchingFeaturesOnThePageAndInTheApi()
    {
        var id = await DictionaryAsync();
        using var client = web.Client(web.ReadToken);
        async Task<int[]> Api(string query) =>
            JsonNode.Parse(await client.GetStringAsync($"/api/dictionaries/{id}/features?{query}"))!["features"]!.AsArray().Select(f => (int)f!["index"]!).ToArray();

        Assert.Equal(new[] { 0, 2 }, await Api("q=RED"));
        Assert.Equal(new[] { 2 }, await Api("q=red&method=free-label"));
        Assert.Equal(new[] { 0 }, await Api("method=ground-truth"));
        Assert.Equal(new[] { 0, 2 }, await Api("concept=colour"));
        Assert.Equal(new[] { 1, 2 }, await Api("auroc_min=0.5&auroc_max=0.8"));
        Assert.Equal(new[] { 0 }, await Api("steerable=yes"));
        Assert.Equal(new[] { 1 }, await Api("steerable=no"));
        Assert.Equal(new[] { 0 }, await Api("dashboard=yes"));
        Assert.Equal(new[] { 1, 2, 3 }, await Api("dashboard=no"));
        Assert.Equal(new[] { 2, 0 }, await Api("q=red&sort=auroc&order=asc"));
        Assert.Empty(await Api("q=red&steerable=no"));

        var page = await client.GetStringAsync($"/dictionaries/{id}?q=red&steerable=yes");
        Assert.Contains($"/features/0\">0</a>", page);
        Assert.DoesNotContain($"/features/2\">2</a>", page);
        Assert.Contains("1 features match", page);
        Assert.Contains("id=\"feature-filter\"", page);
        Assert.Contains("&amp;q=red&amp;steerable=yes", page); // sort and page links keep the filter

        foreach (var (query, message) in new[]
                 {
                     ("auroc_min=high", "auroc_min must be a number"), ("steerable=maybe", "steerable must be yes or no"),
                     ("method=vibes", "unknown label method"), ("auroc_min=0.9&auroc_max=0.1", "minimum AUROC 0.9 is above maximum 0.1"),
                 })
        {
            var bad = await client.GetAsync($"/api/dictionaries/{id}/features?{query}");
            Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
            Assert.Contains(message, await bad.Content.ReadAsStringAsync());
        }
    }

    [Fact]
    public async Task RunsAndExperimentsAreFilteredInTheApiAndOnTheExperimentsPage()
    {
        var kind = "filter-test";
        var model = web.Model.Id;
        var first = await web.Registry.Experiments.CreateAsync(new NewExperiment("colour probe", kind, ConfigJson: $$"""{"model": "{{model}}"}"""));
        var second = await web.Registry.Experiments.CreateAsync(new NewExperiment("shape probe", kind));
        using var client = web.Client(web.ReadToken);
        async Task<string[]> Api(string path) => JsonNode.Parse(await client.GetStringAsync(path))!.AsArray().Select(x => (string)x!["id"]!).ToArray();

        Assert.Equal(new[] { second.Id, first.Id }, await Api($"/api/experiments?type={kind}"));
        Assert.Equal(new[] { first.Id }, await Api($"/api/experiments?type={kind}&model={model}"));
        Assert.Equal(new[] { second.Id }, await Api($"/api/experiments?type={kind}&q=SHAPE"));
        Assert.Empty(await Api($"/api/experiments?type={kind}&since=2999-01-01"));
        Assert.Equal(new[] { web.FinishedRun.Id }, await Api("/api/runs?status=cancelled"));
        Assert.Equal(new[] { web.Run.Id }, await Api("/api/runs?status=running&type=sae_training"));
        var bad = await client.GetAsync("/api/runs?status=vibes");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("unknown run status", await bad.Content.ReadAsStringAsync());

        var page = await client.GetStringAsync($"/experiments?type={kind}&q=colour");
        Assert.Contains("id=\"experiment-filter\"", page);
        Assert.Contains($"/experiments/{first.Id}\"", page);
        Assert.DoesNotContain($"/experiments/{second.Id}\"", page);
        Assert.DoesNotContain($"/experiments/{web.Experiment.Id}\"", page);
    }

    [Fact]
    public async Task FreeLabelsOfConceptsOutsideTheVocabularyAreMarked()
    {
        var sae = await web.Registry.Dictionaries.RegisterAsync(new NewDictionary(web.Model.Id, "vision.blocks.2.hook_resid_post", SaeArchitecture.TopK, 64, 8,
            web.Model.CheckpointSha256!));
        await web.Registry.Features.UpsertStatsAsync(sae.Id,
        [
            new(0, """{"ground_truth": {"concept": "background=black", "auroc": 0.99}, "free_labels": [{"label": "colour=blue", "score": 3.1}]}"""),
            new(1, """{"ground_truth": {"concept": "colour=blue", "auroc": 0.95}, "free_labels": [{"label": "colour=blue", "score": 3.1}]}"""),
        ]);
        using var client = web.Client(web.ReadToken);
        var outside = await client.GetStringAsync($"/dictionaries/{sae.Id}/features/0");
        Assert.Contains("id=\"outside-vocabulary\"", outside);
        Assert.DoesNotContain("id=\"outside-vocabulary\"", await client.GetStringAsync($"/dictionaries/{sae.Id}/features/1"));
        var table = await client.GetStringAsync($"/dictionaries/{sae.Id}");
        var mark = "(concept outside vocabulary)";
        Assert.Equal(1, (table.Length - table.Replace(mark, "").Length) / mark.Length);
    }
}

/// <summary>A second web server with the same seed data for the search and label-editing tests, which add
/// dictionaries, features and experiments that the shared server's tests count.</summary>
[CollectionDefinition(Name)]
public sealed class WebSearchCollection : ICollectionFixture<WebFixture>
{
    public const string Name = "web-search";
}
