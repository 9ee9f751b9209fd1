using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using MMInterp.Client.Web;
using MMInterp.Client.Web.Features;
using MMInterp.Grains.Contracts.Experiments;
using MMInterp.Grains.Registry;
using MMInterp.Kernels.Artefacts;
using MMInterp.Silo.Storage;

namespace MMInterp.Bench;

/// <summary>
/// The feature table of a large dictionary (issue 19 item 5): a throwaway PostgreSQL with the migrations, one
/// dictionary of 65,536 features whose stats and labels look like a clip study's (density, activations, best concept
/// and AUROC for every feature, three free labels each, ground-truth labels above 0.7, steering for a few thousand,
/// dashboards for a few hundred, some manual labels), and the web server in this process. Each request kind (a page in
/// index order, sorts, deep pages, searches by label text, concept, AUROC range, steerable, dashboard, method) is sent
/// over loopback HTTP, sequentially, --repeats times after a warm-up; its wall time from request to last byte is an
/// upper bound on the server's time. Figure feature_search_ms: the median and p95 over every request of every kind,
/// and the slowest kind's median. Control: the road the table took before (every feature row and label read and parsed
/// in the web server, then sorted there), timed in the same process.
/// </summary>
public static class FeatureSearchBench
{
    public sealed record Options(int Features, int Repeats)
    {
        public static Options Parse(string[] args)
        {
            var o = new Options(65_536, 30);
            for (int i = 0; i < args.Length; i += 2)
            {
                if (i + 1 >= args.Length) throw new ArgumentException($"option {args[i]} needs a value");
                var v = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
                o = args[i] switch
                {
                    "--features" => o with { Features = v },
                    "--repeats" => o with { Repeats = v },
                    _ => throw new ArgumentException($"unknown option {args[i]}"),
                };
            }
            return o;
        }
    }

    static readonly string[] Colours = ["red", "green", "blue", "yellow", "orange", "purple", "white", "pink"];
    static readonly string[] Shapes = ["circle", "square", "triangle", "star", "cross", "hexagon"];

    public static async Task<int> RunAsync(Options o)
    {
        var inv = CultureInfo.InvariantCulture;
        string Load() => File.ReadAllText("/proc/loadavg").Trim();
        Console.WriteLine($"feature-search bench: features={o.Features} repeats={o.Repeats}");
        Console.WriteLine($"cores={Environment.ProcessorCount} load={Load()}");
        var artefactDir = Path.Combine(Path.GetTempPath(), $"mmi-bench-features-{Guid.NewGuid():N}");
        await using var pg = await LocalPostgres.StartThrowawayAsync();
        await Migrations.ApplyAsync(pg.ConnectionString);
        await using var registry = RegistryStore.Create(pg.ConnectionString);
        try
        {
            var artefacts = new ArtefactStore(artefactDir);
            var sw = Stopwatch.StartNew();
            var id = await FillAsync(registry, artefacts, o.Features);
            var (rows, labels) = await registry.Features.CountAsync(id);
            Console.WriteLine(string.Create(inv, $"filled {rows} features, {labels} labels in {sw.Elapsed.TotalSeconds:F1} s; load={Load()}"));
            // What autovacuum does within a minute of a bulk write: planner statistics and the visibility map. Timed
            // here rather than left to chance so every run measures the same state.
            sw.Restart();
            await using (var conn = new Npgsql.NpgsqlConnection(pg.ConnectionString))
            {
                await conn.OpenAsync();
                foreach (var table in new[] { "features", "labels" })
                {
                    await using var vacuum = new Npgsql.NpgsqlCommand($"VACUUM ANALYZE {table}", conn);
                    await vacuum.ExecuteNonQueryAsync();
                }
            }
            Console.WriteLine(string.Create(inv, $"vacuum analyze {sw.Elapsed.TotalSeconds:F1} s"));

            await registry.Tokens.EnsureUserAsync("bench");
            var token = (await registry.Tokens.CreateAsync("bench", [TokenScope.Read])).Token;
            await using var app = WebServer.Build(new WebServerOptions(Port: 0), registry, artefacts);
            await app.StartAsync();
            using var http = new HttpClient { BaseAddress = WebServer.Address(app) };
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);

            var d = $"/dictionaries/{id}";
            var last = (o.Features + 49) / 50;
            (string Kind, Func<int, string> Path)[] kinds =
            [
                ("page (index order)", r => $"{d}?page={1 + r * 37 % last}"),
                ("sort auroc", _ => $"{d}?sort=auroc"),
                ("sort label", _ => $"{d}?sort=label"),
                ("sort density asc, deep page", r => $"{d}?sort=density&order=asc&page={1 + r * 53 % last}"),
                ("sort steering", _ => $"{d}?sort=steering"),
                ("search label text", r => $"{d}?q={Colours[r % Colours.Length]}"),
                ("search label text, sort auroc", r => $"{d}?q={Shapes[r % Shapes.Length]}&sort=auroc"),
                ("search rare text", _ => $"{d}?q=zebra"),
                ("concept + AUROC range", r => $"{d}?concept=colour%3D{Colours[r % Colours.Length]}&auroc_min=0.8&auroc_max=0.95&sort=auroc"),
                ("steerable + dashboard", _ => $"{d}?steerable=yes&dashboard=yes"),
                ("method manual", _ => $"{d}?method=manual&sort=label"),
                ("api page, sort max", r => $"/api{d}/features?sort=max&page={1 + r % 100}"),
            ];
            // Warm-up: JIT, connection pool, PostgreSQL's caches.
            foreach (var (_, path) in kinds) await GetAsync(http, path(0));

            var all = new List<double>();
            var medians = new List<(string Kind, double Median, double P95)>();
            foreach (var (kind, path) in kinds)
            {
                var times = new List<double>();
                for (var r = 0; r < o.Repeats; r++)
                {
                    var t = Stopwatch.StartNew();
                    await GetAsync(http, path(r));
                    times.Add(t.Elapsed.TotalMilliseconds);
                }
                all.AddRange(times);
                medians.Add((kind, Quantile(times, 0.5), Quantile(times, 0.95)));
                Console.WriteLine(string.Create(inv, $"{kind,-32} median {Quantile(times, 0.5),7:F1} ms  p95 {Quantile(times, 0.95),7:F1} ms  load={Load()}"));
            }

            // The control: the table's road before this issue, every row read and parsed in the web server.
            var before = new List<double>();
            for (var r = 0; r < Math.Min(5, o.Repeats); r++)
            {
                var t = Stopwatch.StartNew();
                var everything = await LoadEverythingAsync(registry, id);
                _ = everything.OrderByDescending(f => f.Auroc).Take(50).ToList();
                before.Add(t.Elapsed.TotalMilliseconds);
            }
            var slowest = medians.MaxBy(m => m.Median);
            Console.WriteLine(string.Create(inv, $"load_all_then_sort_ms (the road before) median {Quantile(before, 0.5):F0} ms over {before.Count}"));
            Console.WriteLine(string.Create(inv, $"figure feature_search_ms: median {Quantile(all, 0.5):F1} p95 {Quantile(all, 0.95):F1} (slowest kind: {slowest.Kind}, median {slowest.Median:F1} p95 {slowest.P95:F1}; {all.Count} requests)"));
            Console.WriteLine(string.Create(inv, $"figure feature_search_speedup_vs_load_all: {Quantile(before, 0.5) / Quantile(all, 0.5):F1}"));
            Console.WriteLine($"load={Load()}");
            return 0;
        }
        finally
        {
            if (Directory.Exists(artefactDir)) Directory.Delete(artefactDir, recursive: true);
        }
    }

    static async Task GetAsync(HttpClient http, string path)
    {
        using var response = await http.GetAsync(path);
        var body = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"GET {path}: {(int)response.StatusCode} {body[..Math.Min(200, body.Length)]}");
    }

    static double Quantile(List<double> values, double q)
    {
        var sorted = values.Order().ToList();
        return sorted[(int)Math.Min(sorted.Count - 1, Math.Floor(q * sorted.Count))];
    }

    static async Task<List<FeatureSummary>> LoadEverythingAsync(RegistryStore registry, string id)
    {
        var labels = (await registry.Features.GetLabelsAsync(id)).ToLookup(l => l.FeatureIndex);
        var rows = new List<FeatureSummary>();
        for (var from = 0; ;)
        {
            var batch = await registry.Features.ListAsync(id, from, 10_000);
            rows.AddRange(batch.Select(r => FeatureSummary.From(r, labels[r.Index].ToList())));
            if (batch.Count < 10_000) break;
            from = batch[^1].Index + 1;
        }
        return rows;
    }

    /// <summary>Registers the model, checkpoint and dictionary and writes the features' stats and labels in batches.</summary>
    static async Task<string> FillAsync(RegistryStore registry, ArtefactStore artefacts, int n)
    {
        var checkpoint = await artefacts.PutAsync("bench checkpoint"u8.ToArray(), ArtefactKind.Safetensors);
        await registry.Artefacts.RecordAsync(checkpoint);
        var picture = await artefacts.PutAsync("not really a png"u8.ToArray(), ArtefactKind.Png);
        await registry.Artefacts.RecordAsync(picture);
        var model = await registry.Models.RegisterAsync(new NewModel("bench-clip", ModelFamily.Clip, CheckpointSha256: checkpoint.Sha256));
        var sae = await registry.Dictionaries.RegisterAsync(new NewDictionary(model.Id, "vision.blocks.2.hook_resid_post", SaeArchitecture.TopK, 512, n, checkpoint.Sha256));
        var rng = new Random(19);
        var concepts = Colours.Select(c => $"colour={c}").Concat(Shapes.Select(s => $"shape={s}")).Concat(["background=black", "background=grey"]).ToArray();
        const int Batch = 8192;
        for (var start = 0; start < n; start += Batch)
        {
            var stats = new List<FeatureStats>();
            var labels = new List<NewLabel>();
            for (var i = start; i < Math.Min(n, start + Batch); i++)
            {
                var concept = concepts[rng.Next(concepts.Length)];
                var auroc = Math.Round(0.5 + 0.5 * rng.NextDouble(), 4);
                var free = Enumerable.Range(0, 3).Select(_ => rng.Next(2) == 0 ? Colours[rng.Next(Colours.Length)] : Shapes[rng.Next(Shapes.Length)]).Distinct().ToList();
                var o = new JsonObject
                {
                    ["hook"] = "vision.blocks.2.hook_resid_post", ["layer"] = 2,
                    ["density"] = Math.Round(rng.NextDouble() * 0.05, 6), ["mean_activation"] = Math.Round(rng.NextDouble() * 2, 4),
                    ["max_activation"] = Math.Round(rng.NextDouble() * 10, 4), ["text_reading"] = false,
                    ["ground_truth"] = new JsonObject { ["concept"] = concept, ["auroc"] = auroc },
                    ["free_labels"] = new JsonArray(free.Select((l, k) => (JsonNode)new JsonObject { ["label"] = l, ["score"] = 3.0 - k }).ToArray()),
                };
                foreach (var (l, k) in free.Select((l, k) => (l, k))) labels.Add(new NewLabel(i, l, 3.0 - k, LabelMethod.FreeLabel));
                if (auroc >= 0.7) labels.Add(new NewLabel(i, concept, auroc, LabelMethod.GroundTruth));
                if (rng.Next(20) == 0)
                {
                    var steerable = rng.Next(3) == 0;
                    var delta = Math.Round(rng.NextDouble() * 0.6, 4);
                    o["steering"] = new JsonObject { ["target"] = concept, ["delta_prob"] = delta, ["flip_share"] = 0.5, ["steerable"] = steerable };
                    if (steerable) labels.Add(new NewLabel(i, concept, delta, LabelMethod.Steering));
                }
                if (rng.Next(200) == 0) o["images"] = new JsonObject { ["top_examples"] = picture.Sha256, ["histogram"] = picture.Sha256 };
                if (rng.Next(500) == 0) labels.Add(new NewLabel(i, "hand-named " + free[0], 1, LabelMethod.Manual));
                stats.Add(new FeatureStats(i, o.ToJsonString()));
            }
            await registry.Features.UpsertStatsAsync(sae.Id, stats);
            await registry.Features.UpsertLabelsAsync(sae.Id, labels);
        }
        return sae.Id;
    }
}
