using System.Net.Sockets;
using System.Text;
using MMInterp.Grains.Registry;
using Npgsql;
using Xunit;
using Xunit.Abstractions;

namespace MMInterp.Client.Tests.Web;

/// <summary>
/// Fuzzes a running web server over a real PostgreSQL with 500 generated hostile requests (<see cref="WebFuzzGrammar"/>,
/// fixed seed), sent raw over sockets. Every request must get an answer; none may be a 500 or leak internals; and a
/// request that was refused (4xx, 503) must leave the stored state - labels, features, tokens (last use included),
/// runs, users - exactly as it was. Its own server and database (a class fixture), since it writes labels.
/// </summary>
public class WebFuzzTests(WebFixture web, ITestOutputHelper output) : IClassFixture<WebFixture>
{
    /// <summary>Fixed, so CI replays the same requests; MMINTERP_FUZZ_SEED explores others by hand.</summary>
    static readonly int Seed = int.TryParse(Environment.GetEnvironmentVariable("MMINTERP_FUZZ_SEED"), out var s) ? s : 17;
    const int Count = 500;

    [Fact]
    public async Task HostileRequestsNever500AndRefusedOnesChangeNothing()
    {
        var read = await web.Registry.Tokens.CreateAsync("alice", [TokenScope.Read], description: "fuzz read");
        var write = await web.Registry.Tokens.CreateAsync("alice", [TokenScope.Write], description: "fuzz write");
        // The fixture's read token's id with a wrong secret: its last_used_at must never move.
        var wrongSecret = web.ReadToken[..^1] + (web.ReadToken[^1] == 'A' ? 'B' : 'A');
        var world = new FuzzWorld(web.Dictionary.Id, web.Model.Id, web.Experiment.Id, web.Run.Id, web.FinishedRun.Id, web.HistogramPng,
            read.Token, write.Token, wrongSecret, web.BaseUri.GetLeftPart(UriPartial.Authority));
        var grammar = new WebFuzzGrammar(Seed, world);
        // Tokens the fuzzer uses validly are marked used by any authenticated request, refused or not.
        string[] usedValidly = [read.TokenId, write.TokenId];

        await using var db = new NpgsqlConnection(web.ConnectionString + ";Pooling=false");
        await db.OpenAsync();
        var state = await SnapshotAsync(db, usedValidly);
        var statuses = new SortedDictionary<int, int>();
        var changed = 0;
        for (var i = 0; i < Count; i++)
        {
            var request = grammar.Next();
            var (status, text) = await SendAsync(request);
            statuses[status] = statuses.GetValueOrDefault(status) + 1;
            Assert.True(status is >= 100 and < 600, $"#{i} got no answer: {request}");
            Assert.True(status != 500, $"#{i} answered 500: {request}\n{text}");
            if (status >= 400)
                foreach (var leak in new[] { "Npgsql", "Exception", "   at ", web.Artefacts.Root, "SQLSTATE" })
                    Assert.False(text.Contains(leak, StringComparison.OrdinalIgnoreCase), $"#{i} leaks '{leak}': {request}\n{text}");
            var after = await SnapshotAsync(db, usedValidly);
            if (status is >= 400)
                Assert.True(after == state, $"#{i} was refused ({status}) but changed the stored state: {request}\n{Diff(state, after)}");
            else if (after != state) changed++;
            state = after;
        }
        output.WriteLine($"seed {Seed}, {Count} requests; statuses: {string.Join(", ", statuses.Select(p => $"{p.Key}x{p.Value}"))}; {changed} accepted requests changed state");
        // The grammar reaches every class of answer: accepted writes, refusals of each kind, oversize.
        Assert.True(changed > 0, "no request was accepted as a write: the grammar does not reach the write routes");
        foreach (var expected in new[] { 200, 400, 401, 403, 404, 413 })
            Assert.True(statuses.ContainsKey(expected), $"no request got a {expected}: {string.Join(", ", statuses.Keys)}");
    }

    /// <summary>Everything a web request could change, as one string (tokens the fuzzer holds validly: without last use).</summary>
    static async Task<string> SnapshotAsync(NpgsqlConnection db, string[] usedValidly)
    {
        await using var cmd = new NpgsqlCommand("""
            SELECT coalesce(string_agg(x, E'\n' ORDER BY x), '') FROM (
              SELECT concat_ws('|', 'label', dictionary_id, feature_index, method, label, score, experiment_id, updated_at) AS x FROM labels
              UNION ALL SELECT concat_ws('|', 'feature', dictionary_id, feature_index, stats::text, updated_at) FROM features
              UNION ALL SELECT concat_ws('|', 'token', id, user_id, scopes::text, revoked_at, expires_at,
                                         CASE WHEN id = ANY($1) THEN NULL ELSE last_used_at END) FROM api_tokens
              UNION ALL SELECT concat_ws('|', 'run', id, status, step, updated_at) FROM runs
              UNION ALL SELECT concat_ws('|', 'user', id, display_name) FROM users
              UNION ALL SELECT concat_ws('|', 'dictionary', id, metrics::text) FROM dictionaries
            ) s
            """, db) { Parameters = { new() { Value = usedValidly } } };
        return (string)(await cmd.ExecuteScalarAsync())!;
    }

    static string Diff(string before, string after)
    {
        var a = before.Split('\n').ToHashSet();
        var b = after.Split('\n').ToHashSet();
        return "gone: " + string.Join(" / ", a.Except(b)) + "\nnew: " + string.Join(" / ", b.Except(a));
    }

    /// <summary>Writes the request as raw HTTP/1.1 and reads the answer to the end (Connection: close). Bodies over
    /// 64 KB go with Expect: 100-continue, as curl sends them, so a body refused for its size is never sent.</summary>
    async Task<(int Status, string Text)> SendAsync(FuzzRequest request)
    {
        using var tcp = new TcpClient();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await tcp.ConnectAsync(web.BaseUri.Host, web.BaseUri.Port, timeout.Token);
        var stream = tcp.GetStream();
        var expect = request.Body.Length > 64 * 1024;
        var head = new StringBuilder($"{request.Method} {request.Target} HTTP/1.1\r\nHost: {web.BaseUri.Authority}\r\n");
        foreach (var (name, value) in request.Headers) head.Append($"{name}: {value}\r\n");
        if (request.Body.Length > 0 || request.Method is "POST" or "PUT" or "PATCH") head.Append($"Content-Length: {request.Body.Length}\r\n");
        if (expect) head.Append("Expect: 100-continue\r\n");
        head.Append("Connection: close\r\n\r\n");
        await stream.WriteAsync(Encoding.UTF8.GetBytes(head.ToString()), timeout.Token);

        var received = new MemoryStream();
        var buffer = new byte[64 * 1024];
        if (expect)
        {
            // Read until the first answer's head is complete: "100 Continue" means send the body.
            while (IndexOfHeadEnd(received) < 0)
            {
                var n = await stream.ReadAsync(buffer, timeout.Token);
                if (n == 0) break;
                received.Write(buffer, 0, n);
            }
            if (StatusOf(received) == 100)
            {
                received.SetLength(0);
                await TryWriteAsync(stream, request.Body, timeout.Token);
            }
        }
        else if (request.Body.Length > 0)
        {
            await TryWriteAsync(stream, request.Body, timeout.Token);
        }
        try
        {
            int read;
            while ((read = await stream.ReadAsync(buffer, timeout.Token)) > 0) received.Write(buffer, 0, read);
        }
        catch (IOException)
        {
            // The server closed after answering (a reset once the answer is in is not a failure).
        }
        return (StatusOf(received), Encoding.UTF8.GetString(received.ToArray()));
    }

    static async Task TryWriteAsync(NetworkStream stream, byte[] body, CancellationToken ct)
    {
        try
        {
            await stream.WriteAsync(body, ct);
        }
        catch (IOException)
        {
            // The server answered and closed before taking the whole body (a refusal); its answer is read next.
        }
    }

    static int IndexOfHeadEnd(MemoryStream s) => Encoding.Latin1.GetString(s.GetBuffer(), 0, (int)s.Length).IndexOf("\r\n\r\n", StringComparison.Ordinal);

    static int StatusOf(MemoryStream s)
    {
        var text = Encoding.Latin1.GetString(s.GetBuffer(), 0, (int)Math.Min(s.Length, 64));
        return text.StartsWith("HTTP/1.1 ", StringComparison.Ordinal) && text.Length >= 12 && int.TryParse(text.AsSpan(9, 3), out var status) ? status : 0;
    }
}
