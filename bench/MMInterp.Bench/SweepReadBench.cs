using System.Diagnostics;
using System.Globalization;
using MMInterp.Kernels.Activations;
using MMInterp.Kernels.IO;
using MMInterp.Kernels.Sae;
using MMInterp.Kernels.Sae.Training;
using static TorchSharp.torch;

namespace MMInterp.Bench;

/// <summary>
/// Shared reads of a sweep (issue 16 item 5): an 8-point sweep trained as 8 separate runs (each with its own reader
/// over the activation set on disk, as 8 TrainingRun grains did) against the same sweep packed into one run (one
/// reader, every batch read and shuffled once and stepped by all 8 SAEs, as a TrainingPack grain does). Both arms use
/// the silo's reader (ShufflingActivationReader over ActivationSetReader, checksums verified), in one process, one
/// after the other. Figures: sweep_shared_read_speedup = separate wall / packed wall, and rows read from disk per
/// trained SAE in each arm. Checks that every packed member ends with the same weights as its separate run.
/// </summary>
public static class SweepReadBench
{
    public sealed record Options(int D, int M, int K, int Batch, int Steps, int Points, int Shards, int Rounds)
    {
        public static Options Parse(string[] args)
        {
            var o = new Options(256, 1024, 32, 1024, 40, 8, 8, 1);
            for (int i = 0; i < args.Length; i += 2)
            {
                if (i + 1 >= args.Length) throw new ArgumentException($"option {args[i]} needs a value");
                int v = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
                o = args[i] switch
                {
                    "--d" => o with { D = v },
                    "--m" => o with { M = v },
                    "--k" => o with { K = v },
                    "--batch" => o with { Batch = v },
                    "--steps" => o with { Steps = v },
                    "--points" => o with { Points = v },
                    "--shards" => o with { Shards = v },
                    "--rounds" => o with { Rounds = v },
                    _ => throw new ArgumentException($"unknown option {args[i]}"),
                };
            }
            return o;
        }
    }

    public static int Run(Options o)
    {
        var inv = CultureInfo.InvariantCulture;
        Console.WriteLine($"sweep-read bench: d={o.D} m={o.M} k={o.K} batch={o.Batch} steps={o.Steps} points={o.Points} shards={o.Shards} rounds={o.Rounds}");
        Console.WriteLine($"cores={Environment.ProcessorCount} load={File.ReadAllText("/proc/loadavg").Trim()}");
        var home = Path.Combine(Path.GetTempPath(), $"mmi-bench-sweep-{Guid.NewGuid():N}");
        try
        {
            var setDir = WriteSet(o, Path.Combine(home, "set"));
            var members = Members(o);
            var sweep = new SweepConfig
            {
                Members = members, BatchSize = o.Batch, TotalSteps = o.Steps, Seed = 11, LogEvery = o.Steps,
                CheckpointEvery = 0, HistogramEachLog = false,
            };
            // Warm the page cache and the JIT so neither arm pays for them alone.
            Train(sweep with { Members = [members[0]], TotalSteps = 2 }, setDir, Path.Combine(home, "warm"));

            var separate = new List<double>();
            var packed = new List<double>();
            long separateRows = 0, packedRows = 0;
            for (int round = 0; round < o.Rounds; round++)
            {
                var sw = Stopwatch.StartNew();
                separateRows = 0;
                foreach (var m in members) separateRows += Train(sweep with { Members = [m] }, setDir, Path.Combine(home, $"separate-{round}"));
                separate.Add(sw.Elapsed.TotalSeconds);
                sw.Restart();
                packedRows = Train(sweep, setDir, Path.Combine(home, $"packed-{round}"));
                packed.Add(sw.Elapsed.TotalSeconds);
                Console.WriteLine(string.Create(inv, $"round {round}: separate {separate[^1]:F2} s, packed {packed[^1]:F2} s, load={File.ReadAllText("/proc/loadavg").Trim()}"));
            }
            foreach (var m in members)
            {
                var a = SafeTensors.Load(Path.Combine(home, "separate-0", m.Name, "sae.safetensors"));
                var b = SafeTensors.Load(Path.Combine(home, "packed-0", m.Name, "sae.safetensors"));
                foreach (var (name, t) in a.Tensors)
                    if (!t.eq(b.Tensors[name]).all().item<bool>())
                        throw new InvalidOperationException($"{m.Name}: packed weights '{name}' differ from its separate run");
            }
            double sepMed = Median(separate), packMed = Median(packed);
            Console.WriteLine("every packed member's weights equal its separate run's: yes");
            Console.WriteLine(string.Create(inv, $"separate_wall_s={sepMed:F2} packed_wall_s={packMed:F2}"));
            Console.WriteLine(string.Create(inv, $"sweep_shared_read_speedup={sepMed / packMed:F2}"));
            Console.WriteLine(string.Create(inv, $"rows_read_per_sae: separate={separateRows / (double)o.Points:F0} packed={packedRows / (double)o.Points:F0} ratio={separateRows / (double)packedRows:F2}"));
            Console.WriteLine($"load={File.ReadAllText("/proc/loadavg").Trim()}");
            return 0;
        }
        finally
        {
            try { Directory.Delete(home, true); } catch (IOException) { }
        }
    }

    /// <summary>Trains with the silo's reader; returns the rows it read from disk.</summary>
    static long Train(SweepConfig sweep, string setDir, string workDir)
    {
        using var reader = new ShufflingActivationReader(new ActivationSetReader(setDir), bufferShards: 2, seed: sweep.Seed);
        SaeTrainer.Run(sweep, reader, workDir, new TrainerHooks { Resume = false });
        return reader.RowsRead;
    }

    /// <summary>Eight TopK points over k and learning rate (a typical first sweep).</summary>
    static List<SweepMember> Members(Options o) => Enumerable.Range(0, o.Points).Select(i =>
        new SweepMember($"p{i}", new SaeConfig { Kind = SaeKind.TopK, DIn = o.D, DSae = o.M, K = Math.Max(1, o.K * (1 + i / 2) / 2), Seed = i },
            new SaeTrainingConfig { Lr = i % 2 == 0 ? 1e-3 : 3e-3 })).ToList();

    /// <summary>One epoch's worth of rows (steps x batch, the trainer's norm estimate reads from the start) on disk.</summary>
    static string WriteSet(Options o, string dir)
    {
        long rows = (long)o.Steps * o.Batch;
        manual_seed(3);
        using var writer = new ActivationSetWriter(dir, "bench.hook", o.D, (rows + o.Shards - 1) / o.Shards);
        for (long done = 0; done < rows; done += o.Batch)
        {
            using var scope = NewDisposeScope();
            writer.Append(randn(Math.Min(o.Batch, rows - done), o.D));
        }
        writer.Complete();
        return dir;
    }

    static double Median(List<double> xs)
    {
        var s = xs.Order().ToList();
        return s.Count % 2 == 1 ? s[s.Count / 2] : (s[s.Count / 2 - 1] + s[s.Count / 2]) / 2;
    }
}
