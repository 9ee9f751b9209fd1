using System.Diagnostics;
using System.Globalization;
using MMInterp.Kernels.Activations;
using MMInterp.Kernels.Sae;
using MMInterp.Kernels.Sae.Training;
using MMInterp.Kernels.Tensors;
using TorchSharp;
using static TorchSharp.torch;

namespace MMInterp.Bench;

/// <summary>
/// SAE training-step benchmark. Everything is measured in this one run, interleaved over several rounds, and
/// reported as ratios: our dense ReLU step (6*B*d*m FLOPs) against libtorch's matmul on the step's five product
/// shapes, against OpenBLAS sgemm on the same shapes, and against the PyTorch eager step (subprocess);
/// TopK (k) against dense ReLU of equal size.
/// </summary>
public static class SaeBench
{
    public static int Run(SaeBenchOptions o)
    {
        var inv = CultureInfo.InvariantCulture;
        Console.WriteLine($"sae bench: d={o.D} m={o.M} batch={o.Batch} k={o.K} steps={o.Steps} rounds={o.Rounds}");
        Console.WriteLine($"cores={Environment.ProcessorCount} torch_threads={torch.get_num_threads()} openblas={(Gemm.OpenBlasAvailable ? "yes" : "no")} load={File.ReadAllText("/proc/loadavg").Trim()}");
        double stepFlops = 6.0 * o.Batch * o.D * o.M;
        // The cores are shared with other jobs whose load comes and goes within seconds, so every quantity is sampled
        // in each round (interleaved) and the figures use the best sample of each (the least-disturbed one, for
        // rates the highest); medians are printed beside them to show the spread.
        var samples = new Dictionary<string, List<double>>();
        void Add(string key, IEnumerable<double> v) { if (!samples.TryGetValue(key, out var l)) samples[key] = l = []; l.AddRange(v); }
        for (int r = 0; r < o.Rounds; r++)
        {
            Add("torch_mm_gflops", [GemmRate(o, openBlas: false)]);
            if (Gemm.OpenBlasAvailable) Add("openblas_gflops", [GemmRate(o, openBlas: true)]);
            Add("relu_step_s", StepSeconds(o, SaeKind.Relu, openBlas: Gemm.OpenBlasAvailable));
            // The same step with every step's loss, FVU and L0 handed out (live progress, TrainerHooks.Stepped).
            Add("relu_step_live_s", StepSeconds(o, SaeKind.Relu, openBlas: Gemm.OpenBlasAvailable, live: true));
            Add("topk_step_s", StepSeconds(o, SaeKind.TopK, openBlas: Gemm.OpenBlasAvailable));
            if (Gemm.OpenBlasAvailable) Add("relu_step_torchblas_s", StepSeconds(o, SaeKind.Relu, openBlas: false));
            if (o.Python != "none") Add("pytorch_step_s", PyTorchStepSeconds(o));
            var (k, a) = StepBreakdown.Measure(o);
            Add("relu_kernel_s", [k]); Add("adam_s", [a]);
            Console.WriteLine($"round {r + 1}: load={File.ReadAllText("/proc/loadavg").Split(' ')[0]}  " +
                string.Join("  ", samples.Select(kv => $"{kv.Key}=[{string.Join(" ", kv.Value.Select(v => v.ToString("G4", inv)))}]")));
        }
        double Best(string key) => key.EndsWith("gflops") ? samples[key].Max() : samples[key].Min();
        double Med(string key) => Median(samples[key]);
        double relu = Best("relu_step_s"), topk = Best("topk_step_s"), mm = Best("torch_mm_gflops");
        double ours = stepFlops / relu / 1e9;
        Console.WriteLine();
        Console.WriteLine($"dense ReLU step: best {relu * 1e3:F1} ms (median {Med("relu_step_s") * 1e3:F1}) = {ours:F1} GFLOP/s (6*B*d*m per step), gemm backend {(Gemm.OpenBlasAvailable ? "openblas" : "libtorch")}");
        Console.WriteLine($"libtorch matmul (same five shapes, preallocated outputs): best {mm:F1} GFLOP/s (median {Med("torch_mm_gflops"):F1})");
        if (Gemm.OpenBlasAvailable)
        {
            Console.WriteLine($"OpenBLAS sgemm (same shapes): best {Best("openblas_gflops"):F1} GFLOP/s (median {Med("openblas_gflops"):F1}); step share of it: {ours / Best("openblas_gflops"):F3}");
            double tb = Best("relu_step_torchblas_s");
            Console.WriteLine($"dense ReLU step with libtorch gemm (fallback path): best {tb * 1e3:F1} ms = {stepFlops / tb / 1e9:F1} GFLOP/s, share {stepFlops / tb / 1e9 / mm:F3}");
        }
        Console.WriteLine($"TopK k={o.K} step: best {topk * 1e3:F1} ms (median {Med("topk_step_s") * 1e3:F1})");
        Console.WriteLine($"breakdown: gradient kernel {Best("relu_kernel_s") * 1e3:F1} ms (its 5 products alone at the best gemm rate: {10.0 * o.Batch * o.D * o.M / 1e9 / (Gemm.OpenBlasAvailable ? Best("openblas_gflops") : mm) * 1e3:F1} ms), fused Adam {Best("adam_s") * 1e3:F1} ms");
        Console.WriteLine($"figure sae_relu_matmul_share: {(ours / mm).ToString("F3", inv)}");
        Console.WriteLine($"live per-step figures: best {Best("relu_step_live_s") * 1e3:F2} ms against {relu * 1e3:F2} ms (medians {Med("relu_step_live_s") * 1e3:F2} / {Med("relu_step_s") * 1e3:F2})");
        Console.WriteLine($"figure sae_live_figures_overhead: {(Best("relu_step_live_s") / relu).ToString("F3", inv)}");
        Console.WriteLine($"figure sae_topk_speedup: {(relu / topk).ToString("F3", inv)}");
        if (o.Python != "none")
        {
            double py = Best("pytorch_step_s");
            Console.WriteLine($"PyTorch eager step: best {py * 1e3:F1} ms (median {Med("pytorch_step_s") * 1e3:F1}) = {stepFlops / py / 1e9:F1} GFLOP/s (peak RSS {_pyRss} MB)");
            Console.WriteLine($"figure sae_vs_pytorch_eager: {(py / relu).ToString("F3", inv)}");
        }
        Console.WriteLine($"peak RSS (this process): {PeakRssMb():F0} MB");
        return 0;
    }

    private static string _pyRss = "?";

    private static double Median(IEnumerable<double> xs)
    {
        var s = xs.OrderBy(v => v).ToArray();
        return s.Length % 2 == 1 ? s[s.Length / 2] : (s[s.Length / 2 - 1] + s[s.Length / 2]) / 2;
    }

    /// <summary>GFLOP/s over the five products of a dense SAE step, outputs preallocated, best of 3 passes.</summary>
    private static double GemmRate(SaeBenchOptions o, bool openBlas)
    {
        using var scope = NewDisposeScope();
        long B = o.Batch, d = o.D, m = o.M;
        var x = randn(B, d); var wEnc = randn(d, m) * 0.05f; var wDec = randn(m, d) * 0.05f;
        var z = empty(B, m); var xh = empty(B, d); var dz = empty(B, m); var gWd = empty(m, d); var gWe = empty(d, m);
        bool saved = Gemm.UseOpenBlas;
        Gemm.UseOpenBlas = openBlas;
        try
        {
            void Pass()
            {
                Gemm.Mm(x, false, wEnc, false, z);
                Gemm.Mm(z, false, wDec, false, xh);
                Gemm.Mm(xh, false, wDec, true, dz);
                Gemm.Mm(z, true, xh, false, gWd);
                Gemm.Mm(x, true, dz, false, gWe);
            }
            Pass();
            double best = double.MaxValue;
            for (int i = 0; i < 3; i++)
            {
                var sw = Stopwatch.StartNew();
                Pass();
                best = Math.Min(best, sw.Elapsed.TotalSeconds);
            }
            return 5 * 2.0 * B * d * m / best / 1e9;
        }
        finally { Gemm.UseOpenBlas = saved; }
    }

    /// <summary>Seconds of each timed training step of the real trainer (progress timestamps, one log per step).</summary>
    private static List<double> StepSeconds(SaeBenchOptions o, SaeKind kind, bool openBlas, bool live = false)
    {
        const int warmup = 2;
        var dir = Path.Combine(Path.GetTempPath(), "mmi-bench-" + Guid.NewGuid().ToString("N"));
        bool saved = Gemm.UseOpenBlas;
        Gemm.UseOpenBlas = openBlas;
        try
        {
            using var pool = randn(4L * o.Batch, o.D);
            using var src = new InMemoryActivationSource(pool, seed: 1);
            var member = new SweepMember(kind.ToString().ToLowerInvariant(),
                new SaeConfig { Kind = kind, DIn = o.D, DSae = o.M, K = o.K },
                new SaeTrainingConfig { Lr = 1e-4, SparsityCoefficient = 1.0, MaxGradNorm = 1.0 });
            var stamps = new List<double>();
            var clock = Stopwatch.StartNew();
            SaeTrainer.Run(new SweepConfig { Members = [member], BatchSize = o.Batch, TotalSteps = warmup + o.Steps, LogEvery = 1, CheckpointEvery = 0, HistogramEachLog = false },
                src, dir, new TrainerHooks { Progress = _ => stamps.Add(clock.Elapsed.TotalSeconds), Stepped = live ? _ => { } : null });
            var per = new List<double>();
            for (int i = warmup; i < stamps.Count; i++) per.Add(stamps[i] - stamps[i - 1]);
            return per;
        }
        finally
        {
            Gemm.UseOpenBlas = saved;
            try { Directory.Delete(dir, true); } catch (IOException) { }
        }
    }

    private static List<double> PyTorchStepSeconds(SaeBenchOptions o)
    {
        var psi = new ProcessStartInfo(o.Python)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        foreach (var a in new[] { o.Script, "--d", $"{o.D}", "--m", $"{o.M}", "--batch", $"{o.Batch}", "--steps", $"{o.Steps}" }) psi.ArgumentList.Add(a);
        // Give the peer the same OpenBLAS conditions as our sgemm (these variables slow OpenBLAS down here).
        psi.Environment.Remove("OPENBLAS_CORETYPE");
        psi.Environment.Remove("OPENBLAS_L2_SIZE");
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"cannot start {o.Python}");
        string output = p.StandardOutput.ReadToEnd(), err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"{o.Script} failed ({p.ExitCode}): {err}");
        string Field(string name) => output.Split('\n').First(l => l.StartsWith(name + ":")).Split(':')[1].Trim();
        _pyRss = Field("peak_rss_mb");
        return Field("step_times").Split(',').Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToList();
    }

    private static double PeakRssMb()
    {
        var line = File.ReadLines("/proc/self/status").First(l => l.StartsWith("VmHWM:"));
        return double.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024;
    }
}
