using System.Net;
using MMInterp.Client.Web;
using MMInterp.Grains.Registry;
using MMInterp.Kernels.Artefacts;
using Npgsql;
using Xunit;

namespace MMInterp.Client.Tests.Web;

/// <summary>
/// The web server and its database: an outage or a restart answers 503 with a short message (no driver text, no
/// host), connections are pooled and bounded however many requests arrive, and a failed token check writes nothing.
/// </summary>
[Collection(WebCollection.Name)]
public class WebDatabaseTests(WebFixture web)
{
    /// <summary>Unpooled, so the test's own connections never linger in pg_stat_activity.</summary>
    string Direct => web.ConnectionString + ";Pooling=false";

    static async Task AssertShort503(HttpResponseMessage answer, string what)
    {
        var text = await answer.Content.ReadAsStringAsync();
        Assert.True(answer.StatusCode == HttpStatusCode.ServiceUnavailable, $"{what}: {answer.StatusCode} {text}");
        Assert.Contains("the registry database is unavailable", text);
        foreach (var leak in new[] { "Npgsql", "Exception", "127.0.0.1", "refused", "terminat", "   at " })
            Assert.DoesNotContain(leak, text, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task ADatabaseOutageIs503WithAShortMessage()
    {
        // Nothing listens on port 1: every registry call fails to connect.
        await using var registry = RegistryStore.Create("Host=127.0.0.1;Port=1;Username=postgres;Database=mminterp;Timeout=2");
        var dir = Path.Combine(Path.GetTempPath(), $"mminterp-web-down-{Guid.NewGuid():N}");
        await using var app = WebServer.Build(new WebServerOptions(Port: 0), registry, new ArtefactStore(dir));
        await app.StartAsync();
        try
        {
            using var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = WebServer.Address(app) };
            var token = "mmi_0123456789abcdef_secret";
            foreach (var (method, path) in new[] { ("GET", "/api/overview"), ("GET", "/"), ("GET", $"/dictionaries/{web.Dictionary.Id}"), ("POST", "/api/runs/run-x/cancel") })
            {
                var request = new HttpRequestMessage(new HttpMethod(method), path);
                request.Headers.TryAddWithoutValidation("Authorization", $"Bearer {token}");
                await AssertShort503(await client.SendAsync(request), $"{method} {path}");
            }
            var login = await client.PostAsync("/login", BrowserSession.Form(("token", token), ("return", "/")));
            await AssertShort503(login, "POST /login");
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task ARestartedDatabasesDroppedConnectionsGive503ThenRecover()
    {
        using var client = web.Client(web.ReadToken);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/overview")).StatusCode); // the pool holds live connections
        // What a PostgreSQL restart does to a pool: every server-side connection ends under the client.
        await using (var admin = new NpgsqlConnection(Direct))
        {
            await admin.OpenAsync();
            await using var kill = new NpgsqlCommand(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()", admin);
            Assert.True((long)(await kill.ExecuteScalarAsync())! > 0);
        }
        var answers = new List<HttpStatusCode>();
        for (var i = 0; i < 40 && answers.LastOrDefault() != HttpStatusCode.OK; i++)
        {
            var answer = await client.GetAsync("/api/overview");
            answers.Add(answer.StatusCode);
            if (answer.StatusCode != HttpStatusCode.OK) await AssertShort503(answer, $"request {i} after the restart");
        }
        Assert.Equal(HttpStatusCode.OK, answers[^1]);
    }

    [Fact]
    public async Task ConnectionsStayWithinThePoolBoundUnder128ConcurrentRequests()
    {
        using var sampler = new CancellationTokenSource();
        var peak = 0L;
        var sampling = Task.Run(async () =>
        {
            await using var conn = new NpgsqlConnection(Direct);
            await conn.OpenAsync();
            await using var count = new NpgsqlCommand(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1", conn) { Parameters = { new() { Value = WebFixture.ApplicationName } } };
            while (!sampler.IsCancellationRequested)
            {
                peak = Math.Max(peak, (long)(await count.ExecuteScalarAsync())!);
                await Task.Delay(5);
            }
        });
        using var client = web.Client(web.ReadToken);
        var answers = await Task.WhenAll(Enumerable.Range(0, 128).Select(i =>
            client.GetAsync(i % 2 == 0 ? "/api/overview" : $"/api/dictionaries/{web.Dictionary.Id}/features?sort=auroc")));
        sampler.Cancel();
        await sampling;
        Assert.All(answers, a => Assert.Equal(HttpStatusCode.OK, a.StatusCode));
        Assert.True(peak > 1, $"the sampler saw {peak} connections: it did not watch the burst");
        Assert.True(peak <= RegistryStore.DefaultMaxPoolSize, $"{peak} connections open at once, bound is {RegistryStore.DefaultMaxPoolSize}");
    }

    [Fact]
    public async Task AWrongSecretForARealTokenIdChangesNothing()
    {
        var token = await web.Registry.Tokens.CreateAsync("alice", [TokenScope.Read]);
        async Task<DateTime?> LastUsed()
        {
            await using var conn = new NpgsqlConnection(Direct);
            await conn.OpenAsync();
            await using var cmd = new NpgsqlCommand("SELECT last_used_at FROM api_tokens WHERE id = $1", conn) { Parameters = { new() { Value = token.TokenId } } };
            return await cmd.ExecuteScalarAsync() is DateTime t ? t : null;
        }
        var guesses = new[] { $"mmi_{token.TokenId}_wrongsecret", token.Token[..^1] + (token.Token[^1] == 'A' ? 'B' : 'A'), $"mmi_{token.TokenId}_" + new string('x', 5000) };
        foreach (var guess in guesses)
        {
            using var bearer = web.Client(guess);
            Assert.Equal(HttpStatusCode.Unauthorized, (await bearer.GetAsync("/api/whoami")).StatusCode);
            using var cookie = web.Client(cookieToken: guess);
            Assert.Equal(HttpStatusCode.Redirect, (await cookie.GetAsync("/")).StatusCode);
            using var login = web.Client();
            Assert.Equal(HttpStatusCode.Unauthorized, (await login.PostAsync("/login", BrowserSession.Form(("token", guess)))).StatusCode);
        }
        Assert.Null(await LastUsed());

        using var right = web.Client(token.Token);
        Assert.Equal(HttpStatusCode.OK, (await right.GetAsync("/api/whoami")).StatusCode);
        Assert.NotNull(await LastUsed());
    }
}
