using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using MMInterp.Grains.Contracts.Experiments;
using MMInterp.Grains.Registry;
using Xunit;

namespace MMInterp.Client.Tests.Web;

/// <summary>Editing and deleting manual labels over the API and through the dashboard's forms: write scope needed,
/// author and time recorded, only manual labels touched; and what the pages say about labels and dashboards.</summary>
[Collection(WebSearchCollection.Name)]
public class ManualLabelWebTests(WebFixture web)
{
    const int Feature = 5; // no other web test writes labels here

    string Route(long id) => $"/api/dictionaries/{web.Dictionary.Id}/features/{Feature}/labels/{id}";

    [Fact]
    public async Task ManualLabelsAreEditedAndDeletedOnlyWithWriteScopeAndRecordTheirAuthor()
    {
        using var reader = web.Client(web.ReadToken);
        using var writer = web.Client(web.WriteToken);
        using var anonymous = web.Client();
        var created = await writer.PostAsJsonAsync($"/api/dictionaries/{web.Dictionary.Id}/features/{Feature}/labels", new { label = "blue squares", score = 0.7 });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var label = JsonNode.Parse(await created.Content.ReadAsStringAsync())!;
        var id = (long)label["id"]!;
        Assert.Equal(("alice", "alice"), ((string?)label["created_by"], (string?)label["updated_by"]));

        // Without write scope nothing changes.
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PatchAsJsonAsync(Route(id), new { label = "x" })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await reader.PatchAsJsonAsync(Route(id), new { label = "x" })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await reader.DeleteAsync(Route(id))).StatusCode);
        Assert.Equal("blue squares", (await Manual()).Single().Label);

        var edited = await writer.PatchAsJsonAsync(Route(id), new { label = "navy squares", score = 0.9 });
        Assert.Equal(HttpStatusCode.OK, edited.StatusCode);
        var row = (await Manual()).Single();
        Assert.Equal(("navy squares", 0.9, "alice", "alice", id), (row.Label, row.Score, row.CreatedBy, row.UpdatedBy, row.Id));
        Assert.True(row.UpdatedAt >= row.CreatedAt);
        var badScore = await writer.PatchAsJsonAsync(Route(id), new { score = 3 });
        Assert.Equal(HttpStatusCode.BadRequest, badScore.StatusCode);
        Assert.Contains("score must be a number in [0, 1]", await badScore.Content.ReadAsStringAsync());

        // Labels an analysis wrote are not editable; another feature's route does not reach this label.
        var steering = (await web.Registry.Features.GetLabelsAsync(web.Dictionary.Id, 0)).First(l => l.Method == LabelMethod.Steering);
        var refused = await writer.DeleteAsync($"/api/dictionaries/{web.Dictionary.Id}/features/0/labels/{steering.Id}");
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains("only manual labels can be deleted", await refused.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.NotFound, (await writer.DeleteAsync($"/api/dictionaries/{web.Dictionary.Id}/features/4/labels/{id}")).StatusCode);

        Assert.Equal(HttpStatusCode.OK, (await writer.DeleteAsync(Route(id))).StatusCode);
        Assert.Empty(await Manual());
        Assert.Equal(HttpStatusCode.NotFound, (await writer.DeleteAsync(Route(id))).StatusCode);

        var history = JsonNode.Parse(await reader.GetStringAsync($"/api/dictionaries/{web.Dictionary.Id}/features/{Feature}/label-history"))!.AsArray();
        Assert.Equal(["delete", "edit", "add"], history.Select(h => (string)h!["action"]!).ToArray());
        Assert.All(history, h => Assert.Equal("alice", (string?)h!["author"]));
        Assert.Equal(("blue squares", "navy squares"), ((string?)history[1]!["old_label"], (string?)history[1]!["new_label"]));
    }

    [Fact]
    public async Task TheDashboardFormsEditAndDeleteForWriteTokensOnly()
    {
        var added = await web.Registry.Features.AddManualAsync(web.Dictionary.Id, Feature + 1, "form label", 1, "alice");
        var path = web.FeaturePath(Feature + 1);
        using (var reader = web.Client(web.ReadToken))
            Assert.DoesNotContain("/edit\"", await reader.GetStringAsync(path)); // no forms for a read token

        var bob = await web.Registry.Tokens.EnsureUserAsync("bob");
        var bobs = await web.Registry.Tokens.CreateAsync(bob.Id, [TokenScope.Write]);
        using var browser = new BrowserSession(web, bobs.Token);
        var csrf = await browser.FormTokenAsync(path);
        var edit = await browser.PostAsync($"{path}/labels/{added.Id}/edit", BrowserSession.Form(("label", "renamed by bob"), ("csrf", csrf)), browser.OwnOrigin);
        Assert.Equal(HttpStatusCode.Redirect, edit.StatusCode);
        var row = (await web.Registry.Features.GetLabelsAsync(web.Dictionary.Id, Feature + 1)).Single(l => l.Method == LabelMethod.Manual);
        Assert.Equal(("renamed by bob", "alice", "bob"), (row.Label, row.CreatedBy, row.UpdatedBy));
        var forged = await browser.PostAsync($"{path}/labels/{added.Id}/delete", BrowserSession.Form(("csrf", csrf)), "https://evil.example");
        Assert.Equal(HttpStatusCode.Forbidden, forged.StatusCode);
        var delete = await browser.PostAsync($"{path}/labels/{added.Id}/delete", BrowserSession.Form(("csrf", csrf)), browser.OwnOrigin);
        Assert.Equal(HttpStatusCode.Redirect, delete.StatusCode);
        Assert.DoesNotContain(await web.Registry.Features.GetLabelsAsync(web.Dictionary.Id, Feature + 1), l => l.Method == LabelMethod.Manual);
        Assert.Equal("bob", (await web.Registry.Features.GetLabelHistoryAsync(web.Dictionary.Id, Feature + 1))[0].Author);
    }

    [Fact]
    public async Task LabelsShowTheirMethodAndScaleAndTheTableSaysWhichFeaturesHaveDashboards()
    {
        using var client = web.Client(web.ReadToken);
        var feature = await client.GetStringAsync(web.FeaturePath(0));
        Assert.Contains("<span class=\"method\" id=\"best-label-method\">steering</span>", feature);
        Assert.Contains("0.970 AUROC", feature);
        Assert.Contains("AUROC of the feature's activation as a detector of the concept (0.5 = chance, 1 = perfect)", feature);
        Assert.Contains("0.520 &Delta;p", feature);

        var table = await client.GetStringAsync($"/dictionaries/{web.Dictionary.Id}?sort=index");
        Assert.Contains("1 of 256 features have a dashboard", table);
        Assert.Contains($"<code>mminterp analyze clip --sae {web.Dictionary.Id} --dashboards 256</code>", table);
        Assert.Contains($"{WebFixture.BestLabel} <span class=\"method method-steering\">steering</span>", table);
    }

    async Task<List<LabelRecord>> Manual() =>
        (await web.Registry.Features.GetLabelsAsync(web.Dictionary.Id, Feature)).Where(l => l.Method == LabelMethod.Manual).ToList();
}
