using System.Text;

namespace MMInterp.Client.Tests.Web;

/// <summary>One generated request, written byte for byte onto a socket (so it may be anything a client can send).</summary>
public sealed record FuzzRequest(string Method, string Target, IReadOnlyList<(string Name, string Value)> Headers, byte[] Body)
{
    public override string ToString() =>
        $"{Method} {Shorten(Target)} [{string.Join("; ", Headers.Select(h => $"{h.Name}: {Shorten(h.Value)}"))}] body {Body.Length} bytes: {Shorten(Encoding.Latin1.GetString(Body))}";

    static string Shorten(string s) => (s.Length <= 120 ? s : s[..120] + "...").ReplaceLineEndings("\\n");
}

/// <summary>What the generator fills the grammar with: ids that exist and tokens of each kind.</summary>
public sealed record FuzzWorld(string Dictionary, string Model, string Experiment, string LiveRun, string FinishedRun, string Png,
    string ReadToken, string WriteToken, string WrongSecretToken, string OwnOrigin);

/// <summary>
/// A grammar of hostile requests to the web UI and API, driven by a seeded <see cref="Random"/> (so a run is
/// reproducible from its seed): every route of the app with path segments, query strings, headers and bodies
/// drawn from valid values, boundary numbers, traversal, encoding tricks, control characters and oversized input.
/// </summary>
public sealed class WebFuzzGrammar(int seed, FuzzWorld w)
{
    readonly Random _r = new(seed);

    static readonly string[] Routes =
    [
        "/", "/login", "/logout", "/site.css", "/models", "/activation-sets", "/dictionaries", "/dictionaries/{dict}",
        "/dictionaries/{dict}/features/{idx}", "/dictionaries/{dict}/features/{idx}/labels", "/dictionaries/{dict}/features/{idx}/labels",
        "/runs", "/runs/{run}", "/experiments", "/experiments/{exp}", "/artefacts/{sha}", "/api/whoami", "/api/overview",
        "/api/models", "/api/models/{model}", "/api/activation-sets", "/api/dictionaries", "/api/dictionaries/{dict}",
        "/api/dictionaries/{dict}/features", "/api/dictionaries/{dict}/features/{idx}", "/api/dictionaries/{dict}/features/{idx}/labels",
        "/api/dictionaries/{dict}/features/{idx}/labels", "/api/dictionaries/{dict}/features/{idx}/labels", "/api/runs", "/api/runs/{run}",
        "/api/runs/{run}/cancel", "/api/experiments", "/api/experiments/{exp}", "/{junk}", "/api/{junk}", "/artefacts/{junk}",
        // Compare and lineage (issue 19).
        "/sweeps/{run}", "/sweeps/{run}/pareto.png", "/runs/{run}/curves/{junk}.png", "/compare", "/compare/curves/{junk}.png", "/models/{model}",
        "/activation-sets/{junk}", "/api/runs/{run}/metrics", "/api/runs/{run}/metrics/{junk}", "/api/compare/runs", "/api/compare/dictionaries",
        "/api/compare", "/api/sweeps/{run}", "/api/models/{model}/lineage", "/api/dictionaries/{dict}/lineage",
        // Submitting from the web UI and following a job (issue 19).
        "/submit", "/submit/{junk}", "/jobs/{run}", "/jobs/{junk}",
    ];

    static readonly string[] HostileSegments =
    [
        "..", "%2e%2e", "..%2f..%2fetc%2fpasswd", "....//....//etc/passwd", "%00", "a%00b", "%ff%fe", "%c0%80", "%ed%a0%80",
        "a%0d%0aSet-Cookie:%20x=1", "'%3B%20DROP%20TABLE%20labels%3B--", "%3Cscript%3Ealert(1)%3C%2Fscript%3E", "%E2%80%AE",
        "%u0000", "%", "%%", "%zz", "\u00e9t\u00e9", "a;b=c", "~root", "con", "nul", ".%2e", "%5c..%5c..%5cwindows",
    ];

    static readonly string[] Numbers =
    [
        "0", "1", "2", "255", "256", "-1", "2147483647", "-2147483648", "2147483648", "99999999999999999999", "1e3", "0x10",
        "abc", "", " 1", "1.5", "NaN", "%00", "٣",
    ];

    static readonly string[] QueryKeys = ["page", "page_size", "sort", "order", "limit", "return", "token", "x", "page", "sort",
        "run", "status", "kind", "model", "hook", "max_fvu", "from_step"];

    static readonly string[] QueryValues =
    [
        "auroc", "label", "desc", "asc", "index", "bogus", "//evil.example", "%09//evil.example", "%2F%2Fevil", "/%5Cevil",
        "https://evil.example", "%0d%0a", "%00", "%ff", "%ed%a0%80", "mmi_0123456789abcdef_x", "fvu", "l0", "failed", "sweep",
    ];

    T Pick<T>(IReadOnlyList<T> items) => items[_r.Next(items.Count)];

    bool Chance(double p) => _r.NextDouble() < p;

    public FuzzRequest Next()
    {
        // A third are near-valid writes (a label post or a cancel with a write token), so the checks behind
        // authentication are reached too; the rest draw from every route, method and credential.
        var write = Chance(0.35);
        var method = write ? "POST"
            : Chance(0.85) ? Pick(["GET", "GET", "GET", "POST", "POST", "POST", "HEAD", "PUT", "DELETE", "PATCH", "OPTIONS"])
            : Pick(["TRACE", "FOO", "get", "CONNECT", "PROPFIND", "M-SEARCH"]);
        var target = (write ? WritePath() : Path()) + Query();
        var headers = new List<(string, string)>();
        if (write && Chance(0.7)) headers.Add(("Authorization", $"Bearer {w.WriteToken}"));
        else Auth(headers);
        if (Chance(0.5)) headers.Add(("Origin", Pick([w.OwnOrigin, w.OwnOrigin, "https://evil.example", "null", OtherPort(), "http://127.0.0.1"])));
        if (Chance(0.15)) headers.Add(("Referer", Pick([w.OwnOrigin + "/", "https://evil.example/x", "not a url", OtherPort() + "/"])));
        if (Chance(0.15)) headers.Add(("Sec-Fetch-Site", Pick(["same-origin", "same-site", "cross-site", "none", "x"])));
        if (Chance(0.1)) headers.Add(("Accept", Pick(["*/*", "application/json", "text/html", "\u00ff\u00fe"])));
        if (Chance(0.05)) headers.Add(("X-Junk", new string('h', _r.Next(1, 40_000)))); // past Kestrel's 32 KB of headers at times
        var (contentType, body) = Body(method);
        if (contentType is not null) headers.Add(("Content-Type", contentType));
        return new FuzzRequest(method, target, headers, body);
    }

    string OtherPort() => $"http://127.0.0.1:{new Uri(w.OwnOrigin).Port % 65535 + 1}";

    void Auth(List<(string, string)> headers)
    {
        switch (_r.Next(9))
        {
            case 0: break;
            case 1: headers.Add(("Authorization", $"Bearer {w.ReadToken}")); break;
            case 2: case 3: headers.Add(("Authorization", $"Bearer {w.WriteToken}")); break;
            case 4: headers.Add(("Authorization", $"Bearer {w.WrongSecretToken}")); break;
            case 5: headers.Add(("Authorization", Pick(["Bearer ", "Bearer mmi_", "Basic YWxpY2U6eA==", "Bearer mmi_zzzzzzzzzz_\u00ff", "bearer " + w.WriteToken]))); break;
            case 6: case 7: headers.Add(("Cookie", $"mminterp_token={w.WriteToken}" + (Chance(0.3) ? "; mminterp_csrf=CfDJ8garbage" : ""))); break;
            default: headers.Add(("Cookie", Pick([$"mminterp_token={w.WrongSecretToken}", "mminterp_token=", "mminterp_token=%00;;=;", $"mminterp_token={w.ReadToken}"]))); break;
        }
    }

    string Path()
    {
        var route = Pick(Routes);
        string Seg(string valid) => Chance(0.75) ? valid : Pick(HostileSegments);
        var path = route
            .Replace("{dict}", Seg(w.Dictionary)).Replace("{model}", Seg(w.Model)).Replace("{exp}", Seg(w.Experiment))
            .Replace("{run}", Seg(Pick([w.LiveRun, w.FinishedRun]))).Replace("{idx}", Pick(Numbers))
            .Replace("{sha}", Chance(0.5) ? w.Png : Pick([new string('0', 64), new string('a', 63), new string('f', 65), "G" + w.Png[1..], w.Png.ToUpperInvariant()]))
            .Replace("{junk}", Pick(HostileSegments) + (Chance(0.3) ? "/" + Pick(HostileSegments) : ""));
        if (Chance(0.03)) path += "/" + new string('a', _r.Next(100, 12_000)); // long request lines (Kestrel: 414 past 8 KB)
        if (Chance(0.03)) path = path.Replace('/', '\\');
        return path;
    }

    string WritePath()
    {
        var dict = Chance(0.85) ? w.Dictionary : Pick(HostileSegments);
        var idx = Chance(0.7) ? Pick(["0", "1", "2", "3", "4", "255"]) : Pick(Numbers);
        return Pick([
            $"/api/dictionaries/{dict}/features/{idx}/labels", $"/api/dictionaries/{dict}/features/{idx}/labels",
            $"/dictionaries/{dict}/features/{idx}/labels", "/login", $"/api/runs/{Pick([w.LiveRun, w.FinishedRun, Pick(HostileSegments)])}/cancel",
            "/submit/" + Pick(["extract", "train-sae", "sweep", "analyze"]),
        ]);
    }

    string Query()
    {
        if (Chance(0.5)) return "";
        if (Chance(0.05)) return Pick(["?", "?&&==&", "?=x", "?page", "?%", "?page=1&page=2&page=3"]);
        var parts = Enumerable.Range(0, _r.Next(1, 4)).Select(_ =>
        {
            var key = Pick(QueryKeys);
            var value = Chance(0.5) ? Pick(Numbers) : Chance(0.9) ? Pick(QueryValues) : new string('q', _r.Next(1, 3000));
            return $"{key}={value}";
        });
        return "?" + string.Join('&', parts);
    }

    (string? ContentType, byte[] Body) Body(string method)
    {
        var wantsBody = method is "POST" or "PUT" or "PATCH" ? Chance(0.9) : Chance(0.1);
        if (!wantsBody) return (Chance(0.2) ? "application/json" : null, []);
        switch (_r.Next(14))
        {
            case 0:
                var noise = new byte[_r.Next(0, 3000)];
                _r.NextBytes(noise);
                return (Pick(["application/json", "application/x-www-form-urlencoded", "text/plain", "application/octet-stream"]), noise);
            case 1: case 2:
                return ("application/json", Encoding.UTF8.GetBytes($$"""{"label": "fuzz {{_r.Next(1000)}}", "score": {{Pick(["1", "0.5", "-3", "1e308", "\"x\"", "null", "[]"])}}}"""));
            case 3:
                return ("application/json", Pick<byte[]>([
                    """{"label": "a\u0000b"}"""u8.ToArray(), """{"label": "\ud800"}"""u8.ToArray(), [.. """{"label": "x"""u8, 0xff, 0xfe, .. "\"}"u8],
                    """{"label": 5}"""u8.ToArray(), """[1, 2]"""u8.ToArray(), """{"label": "x"""u8.ToArray(), "null"u8.ToArray(), ""u8.ToArray(),
                    Encoding.UTF8.GetBytes(new string('[', 3000)), Encoding.UTF8.GetBytes($$"""{"label": "{{new string('x', 300)}}"}"""),
                    """{"label": "x", "label": "y"}"""u8.ToArray(), """{"label": "   "}"""u8.ToArray(),
                ]));
            case 4: case 5:
                var fields = new List<string> { "label=" + Pick(["fuzz+form", "%00", "%ed%a0%80", "%ff", "a%0ab", new string('z', 250), "", "%EF%BF%BD"]) };
                if (Chance(0.5)) fields.Add("csrf=" + Pick(["CfDJ8garbage", "", "%00"]));
                if (Chance(0.3)) fields.Add("token=" + Pick([w.WriteToken, w.WrongSecretToken, "x"]));
                if (Chance(0.3)) fields.Add("return=" + Pick(QueryValues));
                return ("application/x-www-form-urlencoded", Encoding.UTF8.GetBytes(string.Join('&', fields)));
            case 6:
                return ("application/x-www-form-urlencoded", Encoding.UTF8.GetBytes(string.Join('&', Enumerable.Range(0, _r.Next(1000, 3000)).Select(i => $"f{i}=v"))));
            case 7:
                return (Pick(["multipart/form-data", "multipart/form-data; boundary=b", "multipart/form-data; boundary="]),
                    Encoding.UTF8.GetBytes(Pick(["--b\r\nContent-Disposition: form-data; name=\"label\"\r\n\r\nfuzz multipart\r\n--b--\r\n", "--b\r\n\r\n", "garbage", ""])));
            case 8:
                return (Pick(["text/plain", "text/plain;charset=utf-8"]), """{"label": "fuzz text plain"}"""u8.ToArray());
            case 9:
                return (Pick(["garbage/;;;", "application/json; charset=utf-32", "application/x-www-form-urlencoded; charset=bogus", ";"]), "label=x"u8.ToArray());
            case 10:
                // Oversized: past the 4 MiB body limit.
                var size = (int)(4.5 * 1024 * 1024);
                return (Pick(["application/json", "application/x-www-form-urlencoded"]), Encoding.ASCII.GetBytes("label=" + new string('x', size)));
            default:
                return ("application/json", """{"label": "fuzz default"}"""u8.ToArray());
        }
    }
}
