using System.Globalization;
using MMInterp.Grains.Contracts.Jobs;
using MMInterp.Silo.Storage;

namespace MMInterp.Bench;

/// <summary>
/// Cluster benchmark (DESIGN §7): extraction jobs on real `mminterp-silo` processes over one throwaway Postgres.
/// Two clusters run side by side in this one run, one of 1 silo and one of N, and take turns round by round, so both
/// see the same machine load. Per job: wall time as the client sees it (Start to observed finish), and the shards'
/// own work intervals as measured inside the shard grains. Scheduling overhead = share of the job's wall time in
/// which no shard was working (dispatch, result bookkeeping, finalisation, polling); throughput = images / wall.
/// </summary>
public static class ClusterBench
{
    public sealed record Options(int Images, int Shards, int Rounds, IReadOnlyList<int> SiloCounts, string Hook)
    {
        public static Options Parse(string[] args)
        {
            var o = new Options(4096, 16, 3, [1, 2], "vision.blocks.2.hook_resid_post");
            for (int i = 0; i < args.Length; i += 2)
            {
                if (i + 1 >= args.Length) throw new ArgumentException($"option {args[i]} needs a value");
                var v = args[i + 1];
                o = args[i] switch
                {
                    "--images" => o with { Images = int.Parse(v, CultureInfo.InvariantCulture) },
                    "--shards" => o with { Shards = int.Parse(v, CultureInfo.InvariantCulture) },
                    "--rounds" => o with { Rounds = int.Parse(v, CultureInfo.InvariantCulture) },
                    "--silos" => o with { SiloCounts = v.Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToList() },
                    "--hook" => o with { Hook = v },
                    _ => throw new ArgumentException($"unknown option {args[i]}"),
                };
            }
            return o;
        }
    }

    sealed record JobResult(int Silos, int Round, double WallS, double WorkSumS, double BusyS, double DispatchS, double TailS, Dictionary<string, int> ShardsPerSilo)
    {
        public double Overhead => 1 - BusyS / WallS;
        public double ImagesPerS(int images) => images / WallS;
    }

    public static async Task<int> RunAsync(Options o)
    {
        var inv = CultureInfo.InvariantCulture;
        Console.WriteLine($"cluster bench: images={o.Images} shards={o.Shards} rounds={o.Rounds} silos={string.Join(",", o.SiloCounts)} hook={o.Hook}");
        Console.WriteLine($"cores={Environment.ProcessorCount} load={File.ReadAllText("/proc/loadavg").Trim()}");
        var home = Path.Combine(Path.GetTempPath(), $"mminterp-bench-cluster-{Guid.NewGuid():N}");
        await using var pg = await LocalPostgres.StartThrowawayAsync();
        await Migrations.ApplyAsync(pg.ConnectionString);
        var clusters = new List<BenchCluster>();
        try
        {
            await BenchModels.RegisterTinyClipAsync(pg.ConnectionString, home, "clip-bench");

            foreach (var n in o.SiloCounts) clusters.Add(await BenchCluster.StartAsync(pg.ConnectionString, home, n));
            foreach (var c in clusters)
            {
                // Warm-up: every silo loads the model and JIT-compiles the extraction path before anything is timed.
                var warm = await c.RunJobAsync($"warm-{c.Silos.Count}", new ExtractionJobSpec("clip-bench", [o.Hook], DatasetSpec.Parse("shapes:val:128"), Shards: 8 * c.Silos.Count));
                Console.WriteLine($"warm-up on {c.Silos.Count} silo(s): {warm.Wall.TotalSeconds:F2} s");
            }

            var results = new List<JobResult>();
            for (int r = 1; r <= o.Rounds; r++)
                foreach (var c in clusters)
                {
                    var spec = new ExtractionJobSpec("clip-bench", [o.Hook], DatasetSpec.Parse($"shapes:train:{o.Images}"), Shards: o.Shards);
                    var job = await c.RunJobAsync($"bench-{c.Silos.Count}-{r}", spec);
                    var res = Measure(c.Silos.Count, r, job);
                    results.Add(res);
                    Console.WriteLine($"silos={res.Silos} round {r}: wall {res.WallS:F3} s, {res.ImagesPerS(o.Images):F0} images/s, shard work sum {res.WorkSumS:F2} s, " +
                                      $"busy {res.BusyS:F3} s, overhead {res.Overhead.ToString("F4", inv)} (first shard after {res.DispatchS * 1e3:F0} ms, " +
                                      $"done {res.TailS * 1e3:F0} ms after the last), shards per silo {string.Join("/", res.ShardsPerSilo.Values.OrderDescending())}");
                }

            Console.WriteLine();
            Console.WriteLine("| silo processes | images/s (median) | job wall s (median) | scheduling overhead (median) |");
            Console.WriteLine("| --- | --- | --- | --- |");
            foreach (var n in o.SiloCounts)
            {
                var rs = results.Where(x => x.Silos == n).ToList();
                Console.WriteLine($"| {n} | {Median(rs.Select(x => x.ImagesPerS(o.Images))):F0} | {Median(rs.Select(x => x.WallS)):F2} | {Median(rs.Select(x => x.Overhead)).ToString("F4", inv)} |");
            }
            if (o.SiloCounts.Count > 1)
            {
                var (lo, hi) = (o.SiloCounts.Min(), o.SiloCounts.Max());
                double Rate(int n) => Median(results.Where(x => x.Silos == n).Select(x => x.ImagesPerS(o.Images)));
                Console.WriteLine($"throughput {hi} vs {lo} silo process(es): {(Rate(hi) / Rate(lo)).ToString("F3", inv)}x");
            }
            // The headline: the multi-process cluster, where dispatch crosses process boundaries.
            var headline = o.SiloCounts.Max();
            Console.WriteLine($"figure shard_scheduling_overhead: {Median(results.Where(x => x.Silos == headline).Select(x => x.Overhead)).ToString("F4", inv)}");
            return 0;
        }
        finally
        {
            foreach (var c in clusters) await c.DisposeAsync();
            try { Directory.Delete(home, recursive: true); } catch (IOException) { }
        }
    }

    /// <summary>Busy time = the union of the shards' work intervals; overhead is everything else in the wall time.</summary>
    static JobResult Measure(int silos, int round, (TimeSpan Wall, DateTimeOffset Started, IReadOnlyList<ShardOutput> Shards) job)
    {
        var intervals = job.Shards
            .Select(s => (Start: (s.WorkStarted - job.Started).TotalSeconds, End: (s.WorkStarted - job.Started).TotalSeconds + s.WorkSeconds))
            .OrderBy(i => i.Start).ToList();
        if (intervals.Any(i => i.Start < -0.5)) throw new InvalidOperationException("shard work started before the job: clocks disagree");
        double busy = 0, coveredTo = double.NegativeInfinity;
        foreach (var (start, end) in intervals)
        {
            var from = Math.Max(start, coveredTo);
            if (end > from) busy += end - from;
            coveredTo = Math.Max(coveredTo, end);
        }
        var wall = job.Wall.TotalSeconds;
        return new JobResult(silos, round, wall, job.Shards.Sum(s => s.WorkSeconds), busy, intervals.Min(i => i.Start), wall - intervals.Max(i => i.End),
            job.Shards.GroupBy(s => s.Silo).ToDictionary(g => g.Key, g => g.Count()));
    }

    static double Median(IEnumerable<double> values)
    {
        var v = values.OrderBy(x => x).ToArray();
        return v.Length % 2 == 1 ? v[v.Length / 2] : (v[v.Length / 2 - 1] + v[v.Length / 2]) / 2;
    }
}
