using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Xunit;

namespace MMInterp.Client.Tests.Web;

/// <summary>
/// Hostile and careless input gets a 4xx with a short message, never a 500 or internal text: the login's return
/// target, bodies of the wrong kind or size, labels PostgreSQL could not store, page numbers that overflow.
/// </summary>
[Collection(WebCollection.Name)]
public class WebInputTests(WebFixture web)
{
    static void NoInternals(string body)
    {
        foreach (var leak in new[] { "Npgsql", "Postgres", "Exception", "   at ", "/tmp/", "SQLSTATE", "22021", "22P05" })
            Assert.DoesNotContain(leak, body, StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData("\t//evil.example")]
    [InlineData("\t/\t/evil.example")]
    [InlineData("/\t/evil.example")]
    [InlineData("/\r\n/evil.example")]
    [InlineData(" //evil.example")]
    [InlineData("//evil.example")]
    [InlineData("/\\evil.example")]
    [InlineData("\\\\evil.example")]
    [InlineData("/%2F%2Fevil.example")]
    [InlineData("/%5Cevil.example")]
    [InlineData("/%09/evil.example")]
    [InlineData("https://evil.example/")]
    [InlineData("javascript:alert(1)")]
    [InlineData("/\0/evil.example")]
    [InlineData("/models\r\nSet-Cookie: x=1")]
    [InlineData("/models/\u00e9t\u00e9")]
    [InlineData("")]
    public async Task LoginSendsEveryNonLocalOrOddReturnTargetToTheRoot(string target)
    {
        using var client = web.Client();
        var posted = await client.PostAsync("/login", BrowserSession.Form(("token", web.ReadToken), ("return", target)));
        if (target.Contains('\0'))
        {
            // ASP.NET's form reader refuses a NUL outright: a short 400, which is as good as a redirect home.
            Assert.True(posted.StatusCode == HttpStatusCode.BadRequest, $"{posted.StatusCode}: {await posted.Content.ReadAsStringAsync()}");
            Assert.Contains("the body is not a well-formed form", await posted.Content.ReadAsStringAsync());
        }
        else
        {
            Assert.True(posted.StatusCode == HttpStatusCode.Redirect, $"{posted.StatusCode}: {await posted.Content.ReadAsStringAsync()}");
            Assert.Equal("/", posted.Headers.Location!.OriginalString);
        }
        var linked = await client.GetAsync($"/login?token={Uri.EscapeDataString(web.ReadToken)}&return={Uri.EscapeDataString(target)}");
        Assert.Equal(HttpStatusCode.Redirect, linked.StatusCode);
        Assert.Equal("/", linked.Headers.Location!.OriginalString);
        var form = await client.GetAsync($"/login?return={Uri.EscapeDataString(target)}");
        Assert.Equal(HttpStatusCode.OK, form.StatusCode);
        Assert.Contains("name=\"return\" value=\"/\"", await form.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task LoginKeepsLocalTargetsAndAnswersOddBodiesWith4xx()
    {
        using var client = web.Client();
        foreach (var local in new[] { "/models", $"/dictionaries/{web.Dictionary.Id}?sort=auroc&order=asc", "  /runs  " })
        {
            var ok = await client.PostAsync("/login", BrowserSession.Form(("token", web.ReadToken), ("return", local)));
            Assert.Equal(local.Trim(), ok.Headers.Location!.OriginalString);
        }

        var bodies = new (string What, HttpContent? Body, HttpStatusCode Expected)[]
        {
            ("JSON", new StringContent($$"""{"token": "{{web.ReadToken}}"}""", Encoding.UTF8, "application/json"), HttpStatusCode.BadRequest),
            ("empty", null, HttpStatusCode.BadRequest),
            ("text", new StringContent("token=x", Encoding.UTF8, "text/plain"), HttpStatusCode.BadRequest),
            ("multipart without boundary", new StringContent("--x--", Encoding.UTF8, "multipart/form-data"), HttpStatusCode.BadRequest),
            ("5 MB field", BrowserSession.Form(("token", new string('a', 5 * 1024 * 1024))), HttpStatusCode.RequestEntityTooLarge),
            ("2000 fields", BrowserSession.Form(Enumerable.Range(0, 2000).Select(i => ($"f{i}", "v")).ToArray()), HttpStatusCode.RequestEntityTooLarge),
            ("invalid UTF-8", new ByteArrayContent([.. "token=mmi_"u8, 0xff, 0xfe, .. "&return=/%FF%C3"u8]) { Headers = { ContentType = new("application/x-www-form-urlencoded") } }, HttpStatusCode.Unauthorized),
            ("NUL in a field", new StringContent("token=x&return=/%00", Encoding.UTF8, "application/x-www-form-urlencoded"), HttpStatusCode.BadRequest),
        };
        foreach (var (what, body, expected) in bodies)
        {
            // Expect: 100-continue (as curl sends for large bodies), so a body refused by its size is never sent.
            var answer = await client.SendAsync(new HttpRequestMessage(HttpMethod.Post, "/login") { Content = body, Headers = { ExpectContinue = true } });
            var text = await answer.Content.ReadAsStringAsync();
            Assert.True(answer.StatusCode == expected, $"{what}: {answer.StatusCode} {text}");
            NoInternals(text);
            Assert.True(text.Length < 8000, $"{what}: a {text.Length}-char answer");
        }
    }

    [Fact]
    public async Task LabelsPostgresCannotStoreAre400BeforeReachingIt()
    {
        using var writer = web.Client(web.WriteToken);
        var route = $"/api/dictionaries/{web.Dictionary.Id}/features/3/labels";
        var hostile = new (string What, byte[] Body)[]
        {
            ("NUL", """{"label": "a\u0000b"}"""u8.ToArray()),
            ("lone high surrogate", """{"label": "a\ud800b"}"""u8.ToArray()),
            ("lone low surrogate", """{"label": "\udc00"}"""u8.ToArray()),
            ("invalid UTF-8", [.. """{"label": "a"""u8, 0xff, 0xc3, .. "\"}"u8]),
            ("overlong UTF-8 NUL", [.. """{"label": "a"""u8, 0xc0, 0x80, .. "\"}"u8]),
            ("newline inside", """{"label": "a\nb"}"""u8.ToArray()),
            ("201 characters", Encoding.UTF8.GetBytes($$"""{"label": "{{new string('x', 201)}}"}""")),
            ("deep nesting", Encoding.UTF8.GetBytes(new string('[', 5000) + new string(']', 5000))),
            ("score not a number", """{"label": "ok", "score": "1e400"}"""u8.ToArray()),
            ("score overflow", """{"label": "ok", "score": 1e400}"""u8.ToArray()),
        };
        var before = await web.Registry.Features.GetLabelsAsync(web.Dictionary.Id, 3);
        foreach (var (what, body) in hostile)
        {
            var answer = await writer.PostAsync(route, new ByteArrayContent(body) { Headers = { ContentType = new("application/json") } });
            var text = await answer.Content.ReadAsStringAsync();
            Assert.True(answer.StatusCode == HttpStatusCode.BadRequest, $"{what}: {answer.StatusCode} {text}");
            NoInternals(text);
            Assert.NotNull(JsonNode.Parse(text)!["error"]);
        }
        // The same through the dashboard's form (bearer here, so only the label checks are exercised).
        foreach (var label in new[] { "a\0b", "a\ud800b", "a\uFFFDb" })
        {
            var request = new HttpRequestMessage(HttpMethod.Post, $"{web.FeaturePath(3)}/labels") { Content = BrowserSession.Form(("label", label)) };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", web.WriteToken);
            var answer = await web.Client().SendAsync(request);
            Assert.Equal(HttpStatusCode.BadRequest, answer.StatusCode);
            NoInternals(await answer.Content.ReadAsStringAsync());
        }
        var form413 = new HttpRequestMessage(HttpMethod.Post, $"{web.FeaturePath(3)}/labels")
        {
            Content = BrowserSession.Form(Enumerable.Range(0, 1500).Select(i => ("label", $"v{i}")).ToArray()),
        };
        form413.Headers.Authorization = new AuthenticationHeaderValue("Bearer", web.WriteToken);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, (await web.Client().SendAsync(form413)).StatusCode);
        var big = await writer.SendAsync(new HttpRequestMessage(HttpMethod.Post, route)
        {
            Content = new StringContent($$"""{"label": "{{new string('x', 5 * 1024 * 1024)}}"}""", Encoding.UTF8, "application/json"),
            Headers = { ExpectContinue = true },
        });
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, big.StatusCode);
        NoInternals(await big.Content.ReadAsStringAsync());
        Assert.Equal(before.Count, (await web.Registry.Features.GetLabelsAsync(web.Dictionary.Id, 3)).Count);
    }

    [Fact]
    public async Task PageNumbersThatOverflowGiveAnEmptyLastPageNotPageOne()
    {
        using var client = web.Client(web.ReadToken);
        var path = $"/dictionaries/{web.Dictionary.Id}";
        var api = JsonNode.Parse(await client.GetStringAsync($"/api{path}/features?page={int.MaxValue}&page_size=1000"))!;
        Assert.Equal(int.MaxValue, (int?)api["page"]);
        Assert.Empty(api["features"]!.AsArray());
        var html = await client.GetStringAsync($"{path}?page={int.MaxValue}");
        Assert.DoesNotContain("/features/0\">0</a>", html);
        Assert.Contains($"page {int.MaxValue} of 1", html);
        foreach (var bad in new[] { "page=0", "page=-1", "page=2147483648", "page=abc", "page_size=0", "page_size=1001", "limit=0", "limit=99999999999" })
        {
            var route = bad.StartsWith("limit", StringComparison.Ordinal) ? "/api/runs?" + bad : $"/api{path}/features?{bad}";
            var answer = await client.GetAsync(route);
            Assert.True(answer.StatusCode == HttpStatusCode.BadRequest, $"{route}: {answer.StatusCode}");
        }
    }

    [Fact]
    public async Task AnUnknownArtefactIs404WithoutTheStoresPath()
    {
        using var client = web.Client(web.ReadToken);
        var missing = await client.GetAsync($"/artefacts/{new string('a', 64)}");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        var text = await missing.Content.ReadAsStringAsync();
        Assert.Contains($"no artefact {new string('a', 64)}", text);
        Assert.StartsWith("default-src 'none';", missing.Headers.GetValues("Content-Security-Policy").Single()); // error answers too
        Assert.Equal("same-origin", missing.Headers.GetValues("Referrer-Policy").Single());
        Assert.DoesNotContain(web.Artefacts.Root, text);
        NoInternals(text);
        foreach (var traversal in new[] { "/artefacts/..%2F..%2Fetc%2Fpasswd", "/artefacts/%2e%2e", $"/artefacts/{new string('a', 63)}%00" })
        {
            // Kestrel removes dot segments ("/artefacts/%2e%2e" is "/"); nothing outside the store is ever read.
            var answer = await client.GetAsync(traversal);
            var text2 = await answer.Content.ReadAsStringAsync();
            Assert.True((int)answer.StatusCode is 200 or 400 or 404, $"{traversal}: {answer.StatusCode}");
            Assert.DoesNotContain("root:", text2);
            NoInternals(text2);
        }
    }
}
