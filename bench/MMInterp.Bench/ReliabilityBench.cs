using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using MMInterp.Grains.Contracts.Experiments;
using MMInterp.Grains.Contracts.Jobs;
using MMInterp.Grains.Registry;
using MMInterp.Kernels.Sae;
using MMInterp.Kernels.Sae.Training;
using MMInterp.Kernels.Zoo;
using MMInterp.Silo.Hosting;
using MMInterp.Silo.Storage;

namespace MMInterp.Bench;

/// <summary>
/// Reliability under faults, on real silo processes over one throwaway PostgreSQL. For each job kind (an extraction,
/// an SAE training run, an experiment) one uninterrupted run gives the reference result; then each trial starts the
/// same work under a new id, waits a random time (seeded) within the reference's duration and either SIGKILLs a
/// random silo (a replacement is started at once) or restarts PostgreSQL, and follows the job to its end. Outcomes:
/// identical to the uninterrupted run (activation-set manifest, final SAE checkpoint, experiment figures), different,
/// failed with a reason, or lost (not finished within the time limit). Last, `mminterp serve` against the cluster
/// takes read requests from N concurrent clients: requests/s, p50 and p99 latency, errors.
/// </summary>
public static class ReliabilityBench
{
    public sealed record Options(int Kills, int PgRestarts, int WebClients, int WebSeconds, int Seed, IReadOnlyList<string> Kinds)
    {
        public static Options Parse(string[] args)
        {
            var o = new Options(20, 3, 32, 20, 7, ["extract", "train", "experiment"]);
            for (var i = 0; i < args.Length; i += 2)
            {
                if (i + 1 >= args.Length) throw new ArgumentException($"option {args[i]} needs a value");
                var v = args[i + 1];
                int N() => int.Parse(v, CultureInfo.InvariantCulture);
                o = args[i] switch
                {
                    "--kills" => o with { Kills = N() },
                    "--pg-restarts" => o with { PgRestarts = N() },
                    "--web-clients" => o with { WebClients = N() },
                    "--web-seconds" => o with { WebSeconds = N() },
                    "--seed" => o with { Seed = N() },
                    "--kinds" => o with { Kinds = v.Split(',', StringSplitOptions.RemoveEmptyEntries) },
                    _ => throw new ArgumentException($"unknown option {args[i]}"),
                };
            }
            return o;
        }
    }

    const string Model = "clip-rel", Hook = "vision.blocks.1.hook_resid_post", ClusterId = "rel";
    static readonly TimeSpan Limit = TimeSpan.FromMinutes(6);

    /// <summary>One kind of work: how to start it under an id, follow it, and what of its result must not change.</summary>
    sealed record Kind(string Name, Func<IClusterClient, string, Task> Start, Func<IClusterClient, string, Task<JobProgress>> Status,
        Func<IClusterClient, RegistryStore, string, JobProgress, Task<string>> Fingerprint);

    sealed record Outcome(string Kind, string Fault, string Result, string Detail);

    public static async Task<int> RunAsync(Options o)
    {
        Console.WriteLine($"reliability bench: kills={o.Kills} pg-restarts={o.PgRestarts} web-clients={o.WebClients} web-seconds={o.WebSeconds} seed={o.Seed} kinds={string.Join(",", o.Kinds)}");
        Console.WriteLine($"cores={Environment.ProcessorCount} load={File.ReadAllText("/proc/loadavg").Trim()}");
        var home = Path.Combine(Path.GetTempPath(), $"mminterp-bench-reliability-{Guid.NewGuid():N}");
        await using var pg = await LocalPostgres.StartThrowawayAsync();
        await Migrations.ApplyAsync(pg.ConnectionString);
        await BenchModels.RegisterTinyClipAsync(pg.ConnectionString, home, Model);
        await using var registry = RegistryStore.Create(pg.ConnectionString);
        // Resume checks every 5 s instead of every minute, so a trial waits for failure detection, not for the reminder.
        await using var cluster = await BenchCluster.StartAsync(pg.ConnectionString, home, 2, ClusterId,
            new Dictionary<string, string> { ["MMINTERP_RESUME_SECONDS"] = "5" });
        var rng = new Random(o.Seed);
        var outcomes = new List<Outcome>();
        try
        {
            // The training and experiment kinds read what the reference extraction registered.
            string? referenceSet = null;
            var kinds = AllKinds(() => referenceSet ?? throw new InvalidOperationException("the train kind needs the extract kind first"))
                .Where(k => o.Kinds.Contains(k.Name)).ToList();
            foreach (var kind in kinds)
            {
                var clock = Stopwatch.StartNew();
                var reference = await FollowAsync(cluster, kind, $"ref-{kind.Name}");
                var duration = clock.Elapsed;
                if (reference.Phase != JobPhase.Succeeded) throw new InvalidOperationException($"reference {kind.Name} {reference.Phase}: {reference.Error}");
                if (kind.Name == "extract") referenceSet = reference.ActivationSetId;
                var expected = await kind.Fingerprint(cluster.Grains, registry, $"ref-{kind.Name}", reference);
                Console.WriteLine($"{kind.Name}: reference run {duration.TotalSeconds:F1} s, fingerprint {expected[..Math.Min(16, expected.Length)]}");

                for (var i = 1; i <= o.Kills + o.PgRestarts; i++)
                {
                    var kill = i <= o.Kills;
                    var id = $"{kind.Name}-{(kill ? "kill" : "pg")}-{i}";
                    var run = FollowAsync(cluster, kind, id);
                    var delay = TimeSpan.FromSeconds(0.3 + rng.NextDouble() * 0.8 * duration.TotalSeconds);
                    await Task.Delay(delay);
                    if (kill)
                    {
                        var victim = cluster.Silos[rng.Next(cluster.Silos.Count)];
                        cluster.Kill(victim);
                        await cluster.AddSiloAsync();
                    }
                    else
                    {
                        await pg.StopAsync();
                        await Task.Delay(TimeSpan.FromSeconds(3));
                        await pg.StartAgainAsync();
                        Npgsql.NpgsqlConnection.ClearAllPools(); // this process's connections died with the server
                    }
                    var end = await run;
                    var outcome = await ClassifyAsync(kind, cluster, registry, id, end, expected, kill ? "kill -9" : "postgres restart");
                    outcomes.Add(outcome);
                    Console.WriteLine($"{id}: fault after {delay.TotalSeconds:F1} s -> {outcome.Result}{(outcome.Detail.Length > 0 ? $" ({outcome.Detail})" : "")}");
                }
            }

            var web = await WebLoadAsync(pg.ConnectionString, home, o);
            Console.WriteLine();
            Console.WriteLine("| job kind | fault | trials | identical to uninterrupted | different | failed with a reason | lost |");
            Console.WriteLine("| --- | --- | --- | --- | --- | --- | --- |");
            foreach (var g in outcomes.GroupBy(x => (x.Kind, x.Fault)))
                Console.WriteLine($"| {g.Key.Kind} | {g.Key.Fault} | {g.Count()} | {g.Count(x => x.Result == "identical")} | {g.Count(x => x.Result == "different")} | " +
                                  $"{g.Count(x => x.Result == "failed")} | {g.Count(x => x.Result == "lost")} |");
            Console.WriteLine();
            Console.WriteLine($"| web clients | requests | requests/s | p50 ms | p99 ms | errors |");
            Console.WriteLine("| --- | --- | --- | --- | --- | --- |");
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {o.WebClients} | {web.Requests} | {web.PerSecond:F0} | {web.P50:F1} | {web.P99:F1} | {web.Errors} |"));
            Console.WriteLine($"load after: {File.ReadAllText("/proc/loadavg").Trim()}");
            Console.WriteLine($"figure faulted_jobs_identical: {outcomes.Count(x => x.Result == "identical")}/{outcomes.Count}");
            Console.WriteLine($"figure faulted_jobs_lost: {outcomes.Count(x => x.Result == "lost")}/{outcomes.Count}");
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"figure web_p99_ms: {web.P99:F1} ({o.WebClients} clients, {web.Errors} errors)"));
            return outcomes.Any(x => x.Result is "different" or "lost") || web.Errors > 0 ? 1 : 0;
        }
        finally
        {
            try { Directory.Delete(home, recursive: true); } catch (IOException) { }
        }
    }

    static IEnumerable<Kind> AllKinds(Func<string> set)
    {
        yield return new Kind("extract",
            (c, id) => c.GetGrain<IExtractionJobGrain>(id).Start(new ExtractionJobSpec(Model, [Hook], DatasetSpec.Parse("shapes:train:2048"), Shards: 4)),
            (c, id) => c.GetGrain<IExtractionJobGrain>(id).Status(),
            // The manifest of shard files by content: the same rows in the same shards whatever the job id.
            async (_, r, _, p) => (await r.ActivationSets.GetAsync(p.ActivationSetId!))!.IndexSha256);
        yield return new Kind("train",
            (c, id) => c.GetGrain<ITrainingRunGrain>(id).Start(new TrainingRunSpec(set(), Hook,
                new SaeConfig { Kind = SaeKind.TopK, DIn = ClipZooConfig.Default.VisionWidth, DSae = 256, K = 8, Seed = 3 }.Validate().ToJson(),
                new SaeTrainingConfig { Lr = 1e-3, LrWarmupSteps = 60, DeadFeatures = DeadFeatureStrategy.AuxK }.Validate().ToJson(),
                600, 100, 3, BatchSize: 256, LogEvery: 20).Validated()),
            (c, id) => c.GetGrain<ITrainingRunGrain>(id).Status(),
            async (c, _, id, _) => (await c.GetGrain<ITrainingRunGrain>(id).LastCheckpoint())!.Artefact);
        yield return new Kind("experiment",
            (c, id) => c.GetGrain<IExperimentGrain>(id).Start(new AnalysisSpec("clip-probe", Model,
                OptionsJson: """{"attribute":"colour,shape","train_images":256,"test_images":128}""")),
            (c, id) => c.GetGrain<IExperimentGrain>(id).Status(),
            async (_, r, id, _) => JsonNode.Parse((await r.Experiments.GetAsync(id))!.ResultsJson)!["figures"]!.ToJsonString());
    }

    /// <summary>Starts the work and polls it to its end; calls that fail while a silo is down are retried.</summary>
    static async Task<JobProgress> FollowAsync(BenchCluster cluster, Kind kind, string id)
    {
        var deadline = DateTimeOffset.UtcNow + Limit;
        var started = false;
        while (DateTimeOffset.UtcNow < deadline)
        {
            try
            {
                if (!started) await kind.Start(cluster.Grains, id);
                started = true;
                var p = await kind.Status(cluster.Grains, id);
                if (p.Finished) return p;
            }
            catch (Exception e) when (e is not ArgumentException)
            {
                // A silo or the database is away: the call is answered again once the cluster has noticed.
            }
            await Task.Delay(250);
        }
        return new JobProgress(id, kind.Name, JobPhase.Running, 0, 0, "lost: not finished within the limit", DateTimeOffset.UtcNow);
    }

    static async Task<Outcome> ClassifyAsync(Kind kind, BenchCluster cluster, RegistryStore registry, string id, JobProgress end, string expected, string fault)
    {
        if (!end.Finished) return new Outcome(kind.Name, fault, "lost", end.Error ?? "");
        if (end.Phase != JobPhase.Succeeded) return new Outcome(kind.Name, fault, "failed", end.Error ?? "no reason");
        string got;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                got = await kind.Fingerprint(cluster.Grains, registry, id, end);
                break;
            }
            catch (Exception e) when (attempt < 5 && e is not ArgumentException)
            {
                await Task.Delay(TimeSpan.FromSeconds(2)); // the database or a silo is still coming back
            }
        }
        return new Outcome(kind.Name, fault, got == expected ? "identical" : "different", got == expected ? "" : $"{got[..Math.Min(16, got.Length)]}");
    }

    sealed record WebLoad(int Requests, double PerSecond, double P50, double P99, int Errors);

    /// <summary>`mminterp serve` on the cluster, N clients reading the API in a loop for the set time.</summary>
    static async Task<WebLoad> WebLoadAsync(string db, string home, Options o)
    {
        if (o.WebClients <= 0) return new WebLoad(0, 0, 0, 0, 0);
        var cli = BuildOutput.Find("Client", "mminterp.dll");
        var token = (await RunCliAsync(cli, db, home, "token", "create", "--user", "bench", "--scope", "read")).Trim();
        var port = FreePorts.Next();
        var psi = CliStart(cli, db, home, "serve", "--port", port.ToString(CultureInfo.InvariantCulture));
        psi.Environment["MMINTERP_CLUSTER"] = "external";
        psi.Environment["MMINTERP_CLUSTER_ID"] = ClusterId;
        psi.Environment["MMINTERP_SERVICE_ID"] = ClusterId;
        using var serve = Process.Start(psi)!;
        _ = serve.StandardOutput.ReadToEndAsync();
        _ = serve.StandardError.ReadToEndAsync();
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
            for (var up = DateTimeOffset.UtcNow.AddMinutes(2); ; await Task.Delay(250))
            {
                try { if ((await http.GetAsync("/api/whoami")).IsSuccessStatusCode) break; }
                catch (HttpRequestException) when (DateTimeOffset.UtcNow < up) { }
            }
            string[] routes = ["/api/overview", "/api/models", "/api/runs", "/api/activation-sets", "/api/experiments", "/api/dictionaries"];
            var latencies = new List<double>();
            var errors = 0;
            var stop = DateTimeOffset.UtcNow.AddSeconds(o.WebSeconds);
            var clock = Stopwatch.StartNew();
            await Task.WhenAll(Enumerable.Range(0, o.WebClients).Select(async c =>
            {
                for (var i = c; DateTimeOffset.UtcNow < stop; i++)
                {
                    var t = Stopwatch.StartNew();
                    bool ok;
                    try { using var r = await http.GetAsync(routes[i % routes.Length]); ok = r.IsSuccessStatusCode; }
                    catch (HttpRequestException) { ok = false; }
                    lock (latencies)
                    {
                        latencies.Add(t.Elapsed.TotalMilliseconds);
                        if (!ok) errors++;
                    }
                }
            }));
            var wall = clock.Elapsed.TotalSeconds;
            latencies.Sort();
            double Q(double q) => latencies[(int)Math.Min(latencies.Count - 1, Math.Floor(q * latencies.Count))];
            return new WebLoad(latencies.Count, latencies.Count / wall, Q(0.5), Q(0.99), errors);
        }
        finally
        {
            if (!serve.HasExited) serve.Kill(entireProcessTree: true);
        }
    }

    static ProcessStartInfo CliStart(string cli, string db, string home, params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(cli);
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["MMINTERP_DB"] = db;
        psi.Environment["MMINTERP_HOME"] = home;
        psi.Environment["MMINTERP_TELEMETRY"] = "off";
        return psi;
    }

    static async Task<string> RunCliAsync(string cli, string db, string home, params string[] args)
    {
        using var p = Process.Start(CliStart(cli, db, home, args))!;
        var output = await p.StandardOutput.ReadToEndAsync();
        var error = await p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        return p.ExitCode == 0 ? output : throw new InvalidOperationException($"mminterp {string.Join(' ', args)}: {error.Trim()}");
    }
}
