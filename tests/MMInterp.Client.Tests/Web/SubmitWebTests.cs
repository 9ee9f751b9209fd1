using System.Net;
using Xunit;

namespace MMInterp.Client.Tests.Web;

/// <summary>
/// The /submit page's forms as a browser posts them (login cookie, anti-forgery token, own Origin), against a server
/// with a real registry and no cluster: bad input comes back on the form as the submission road's one-line error,
/// with the values as sent; a read token, a post without the page's token, a foreign origin or no login are refused;
/// nothing is registered by any of them. (The browser test in the integration tests submits real work.)
/// </summary>
[Collection(WebCollection.Name)]
public class SubmitWebTests(WebFixture web)
{
    const string Hook = "vision.blocks.2.hook_resid_post";

    static async Task<string> Text(HttpResponseMessage answer) => WebUtility.HtmlDecode(await answer.Content.ReadAsStringAsync());

    [Fact]
    public async Task BadInputIsShownOnTheFormAndHostilePostsChangeNothing()
    {
        using var writer = new BrowserSession(web, web.WriteToken);
        var page = await writer.FormTokenAsync("/submit"); // the forms carry the anti-forgery field
        var own = writer.OwnOrigin;

        async Task<string> Refused(string kind, string id, params (string, string)[] fields)
        {
            var answer = await writer.PostAsync($"/submit/{kind}", BrowserSession.Form([("csrf", page), ("id", id), .. fields]), origin: own);
            var html = await Text(answer);
            Assert.True(answer.StatusCode == HttpStatusCode.BadRequest, $"{kind} {id}: {(int)answer.StatusCode} {html}");
            var error = System.Text.RegularExpressions.Regex.Match(html, $"<p class=\"error\" id=\"error-{kind}\" role=\"alert\">([^<]*)</p>");
            Assert.True(error.Success, $"{kind}: no error on its form: {html}");
            Assert.Null(await web.Registry.Runs.GetAsync(id));
            return error.Groups[1].Value;
        }

        // The road's own words (as the API's 400s), on the form that was posted.
        Assert.Equal("model 'no-such-model' is not registered (see `mminterp models list`)",
            await Refused("extract", "web-bad-model", ("model", "no-such-model"), ("hooks", Hook)));
        Assert.Equal("form.shards must be a whole number", await Refused("extract", "web-bad-shards", ("model", web.Model.Id), ("hooks", Hook), ("shards", "many")));
        Assert.Contains("shards must be at least 1", await Refused("extract", "web-zero-shards", ("model", web.Model.Id), ("hooks", Hook), ("shards", "0")));
        Assert.Contains("steps must be at least 1", await Refused("train-sae", "web-bad-steps", ("activations", web.ActivationSet.Id), ("steps", "-3")));
        var axis = await Refused("sweep", "web-bad-axis", ("activations", web.ActivationSet.Id), ("grid", "sae.Foo=1,2"));
        Assert.Contains("sae.Foo", axis);
        Assert.Contains("sae.K", axis); // the valid axes are listed
        Assert.Contains("unknown analysis kind", await Refused("analyze", "web-bad-kind", ("kind", "no-such-analysis"), ("model", web.Model.Id)));
        Assert.Contains("form.options is not valid JSON", await Refused("analyze", "web-bad-json", ("kind", "steering"), ("model", web.Model.Id), ("options", "{clamp")));
        Assert.Contains("unknown field 'modle'", await Refused("extract", "web-bad-field", ("modle", "x"), ("hooks", Hook)));

        // The form comes back filled in as sent.
        var again = await writer.PostAsync("/submit/extract", BrowserSession.Form(("csrf", page), ("model", "no-such-model"), ("hooks", Hook), ("dataset", "shapes:train:24")), origin: own);
        var html = await again.Content.ReadAsStringAsync();
        Assert.Contains("value=\"shapes:train:24\"", html);
        Assert.Contains("value=\"no-such-model\"", html);

        // Hostile or unauthorised posts: one line, nothing registered.
        var valid = new (string, string)[] { ("model", web.Model.Id), ("hooks", Hook), ("id", "web-hostile") };
        var withoutToken = await writer.PostAsync("/submit/extract", BrowserSession.Form(valid), origin: own);
        Assert.Equal(HttpStatusCode.Forbidden, withoutToken.StatusCode);
        Assert.Contains("cross-site request refused", await Text(withoutToken));
        var foreign = await writer.PostAsync("/submit/extract", BrowserSession.Form([("csrf", page), .. valid]), origin: "http://evil.example");
        Assert.Equal(HttpStatusCode.Forbidden, foreign.StatusCode);
        using (var reader = new BrowserSession(web, web.ReadToken))
        {
            var readPage = await reader.PostAsync("/submit/extract", BrowserSession.Form(valid), origin: reader.OwnOrigin);
            Assert.Equal(HttpStatusCode.Forbidden, readPage.StatusCode); // no page token either way: refused before any write
        }
        using var anonymous = web.Client();
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PostAsync("/submit/extract", BrowserSession.Form(valid))).StatusCode);
        Assert.Null(await web.Registry.Runs.GetAsync("web-hostile"));
    }

    [Fact]
    public async Task AReadTokenSeesNoFormsAndTheJobPageFollowsAnyRun()
    {
        using var reader = web.Client(cookieToken: web.ReadToken);
        var submit = await reader.GetStringAsync("/submit");
        Assert.Contains("id=\"submit-needs-write\"", submit);
        Assert.DoesNotContain("<form method=\"post\" action=\"/submit/", submit);

        // A read token that gets past the anti-forgery check (a program's bearer header) still may not submit.
        using var readBearer = web.Client(bearer: web.ReadToken);
        var refused = await readBearer.PostAsync("/submit/train-sae", BrowserSession.Form(("activations", web.ActivationSet.Id), ("id", "web-read-bearer")));
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Contains("lacks the scope", await Text(refused));
        Assert.Null(await web.Registry.Runs.GetAsync("web-read-bearer"));

        // Running: reloads itself; cancelled: says so, no reload, no result.
        var running = await reader.GetStringAsync($"/jobs/{web.Run.Id}");
        Assert.Contains("<meta http-equiv=\"refresh\"", running);
        Assert.Contains("status-running", running);
        var cancelled = await reader.GetStringAsync($"/jobs/{web.FinishedRun.Id}");
        Assert.DoesNotContain("http-equiv=\"refresh\"", cancelled);
        Assert.Contains("status-cancelled", cancelled);
        Assert.Contains("did not succeed", cancelled);
        var missing = await reader.GetAsync("/jobs/no-such-job");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }
}
