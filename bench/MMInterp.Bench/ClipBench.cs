using System.Diagnostics;
using System.Globalization;
using MMInterp.Kernels.Checkpoints;
using MMInterp.Kernels.Extraction;
using MMInterp.Kernels.IO;
using MMInterp.Kernels.Models.Clip;
using TorchSharp;
using static TorchSharp.torch;

namespace MMInterp.Bench;

/// <summary>
/// Real-model benchmark (issue 15 item 8): a random ViT-B/32 CLIP written once in HF layout, the same uint8 images,
/// then per round three processes of their own: our extraction at one hook (`clip-extract`), OpenAI's CLIP code in
/// PyTorch eager doing the same (bench/clip_extract_pytorch.py), and our checkpoint loader (`clip-load`).
/// </summary>
public static class ClipBench
{
    static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static int Run(ClipBenchOptions o)
    {
        Console.WriteLine($"clip bench: ViT-B/32 (random weights) images={o.Images} batch={o.Batch} reps={o.Reps} rounds={o.Rounds} threads={o.Threads} hook={o.Hook}");
        Console.WriteLine($"cores={Environment.ProcessorCount} load={Load()} work={o.Work} peer={(o.ClipRepo == "none" ? "none" : o.ClipRepo)} peer_blas={o.PeerBlas}");
        Prepare(o);
        var weightsMb = new FileInfo(Path.Combine(o.Work, ClipCheckpoint.WeightsFile)).Length / 1048576.0;
        var ours = new List<Child>();
        var oursFull = new List<Child>();
        var theirs = new List<Child>();
        var loads = new List<Child>();
        for (var r = 0; r < o.Rounds; r++)
        {
            // Alternate who goes first so a load spike does not always hit the same side.
            var peerFirst = r % 2 == 1;
            if (peerFirst && o.ClipRepo != "none") theirs.Add(Peer(o));
            ours.Add(Self("clip-extract", o));
            oursFull.Add(Self("clip-extract", o with { FullForward = true }));
            if (!peerFirst && o.ClipRepo != "none") theirs.Add(Peer(o));
            loads.Add(Self("clip-load", o));
            Console.WriteLine($"round {r + 1}: load={Load()}  ours_s=[{string.Join(" ", ours[^1].Seconds.Select(F))}] ours_rss={ours[^1]["peak_rss_mb"]}  ours_full_s=[{string.Join(" ", oursFull[^1].Seconds.Select(F))}] ours_full_rss={oursFull[^1]["peak_rss_mb"]}" +
                              (theirs.Count > 0 ? $"  pytorch_s=[{string.Join(" ", theirs[^1].Seconds.Select(F))}] pytorch_rss={theirs[^1]["peak_rss_mb"]}" : "") +
                              $"  load_peak_rss={loads[^1]["load_peak_rss_mb"]} load_base_rss={loads[^1]["base_rss_mb"]} load_s={loads[^1]["load_seconds"]}");
        }
        Console.WriteLine("ours: " + ours[0]["setup"]);
        if (theirs.Count > 0) Console.WriteLine("pytorch: " + theirs[0]["torch_version"]);

        var ourRate = ours.SelectMany(c => c.Seconds).Select(s => o.Images / s).ToList();
        Console.WriteLine($"ours: best {F(ourRate.Max())} images/s (median {F(Median(ourRate))}, range {F(ourRate.Min())}-{F(ourRate.Max())}, {ourRate.Count} reps)");
        var fullRate = oursFull.SelectMany(c => c.Seconds).Select(s => o.Images / s).ToList();
        Console.WriteLine($"ours, every block run (--full-forward): best {F(fullRate.Max())} images/s (median {F(Median(fullRate))}, range {F(fullRate.Min())}-{F(fullRate.Max())})");
        var ourRss = ours.Select(c => c.Number("peak_rss_mb")).ToList();
        var fullRss = oursFull.Select(c => c.Number("peak_rss_mb")).ToList();
        Console.WriteLine($"ours: peak RSS during extraction median {F(Median(ourRss))} MB (range {F(ourRss.Min())}-{F(ourRss.Max())}), after loading {F(Median(ours.Select(c => c.Number("rss_before_mb")).ToList()))} MB");
        if (theirs.Count > 0)
        {
            var peerRate = theirs.SelectMany(c => c.Seconds).Select(s => o.Images / s).ToList();
            Console.WriteLine($"pytorch: best {F(peerRate.Max())} images/s (median {F(Median(peerRate))}, range {F(peerRate.Min())}-{F(peerRate.Max())}, {peerRate.Count} reps)");
            var peerRss = theirs.Select(c => c.Number("peak_rss_mb")).ToList();
            Console.WriteLine($"pytorch: peak RSS during extraction median {F(Median(peerRss))} MB (range {F(peerRss.Min())}-{F(peerRss.Max())})");
            Console.WriteLine($"speed ratio: best/best {F(ourRate.Max() / peerRate.Max())}, median/median {F(Median(ourRate) / Median(peerRate))}");
            Console.WriteLine($"same work (every block, as the peer): best/best {F(fullRate.Max() / peerRate.Max())}, median/median {F(Median(fullRate) / Median(peerRate))}; peak RSS {F(Median(fullRss) / Median(peerRss))}");
            Console.WriteLine($"figure clip_b32_extract_vs_pytorch: {ourRate.Max() / peerRate.Max():F3}");
            Console.WriteLine($"figure clip_b32_full_forward_vs_pytorch: {fullRate.Max() / peerRate.Max():F3}");
            Console.WriteLine($"figure clip_b32_extract_rss_vs_pytorch: {Median(ourRss) / Median(peerRss):F3}");
            Smoke(o);
        }
        var loadRss = loads.Select(c => c.Number("load_peak_rss_mb")).ToList();
        var baseRss = loads.Select(c => c.Number("base_rss_mb")).ToList();
        Console.WriteLine($"load: weights {F(weightsMb)} MB; peak RSS median {F(Median(loadRss))} MB (range {F(loadRss.Min())}-{F(loadRss.Max())}), " +
                          $"process before loading {F(Median(baseRss))} MB; (peak - before) / weights {F((Median(loadRss) - Median(baseRss)) / weightsMb)}");
        Console.WriteLine($"figure clip_b32_load_rss_over_weights: {Median(loadRss) / weightsMb:F3}");
        Console.WriteLine($"peak RSS (this process): {F(ProcessMemory.PeakRssMb())} MB");
        return 0;
    }

    /// <summary>Writes the random ViT-B/32 checkpoint and the uint8 images once per work directory and seed.</summary>
    static void Prepare(ClipBenchOptions o)
    {
        var stamp = Path.Combine(o.Work, "prepared.txt");
        var want = $"seed={o.Seed} images={o.Images}";
        if (File.Exists(stamp) && File.ReadAllText(stamp) == want) return;
        Directory.CreateDirectory(o.Work);
        torch.manual_seed(o.Seed);
        using (var model = new ClipModel(ClipB32.Config)) ClipCheckpoint.Save(model, null, o.Work);
        // Raw uint8 [N, 3, 224, 224] (our safetensors writer keeps to float32/int64, and int64 would weigh 8x).
        using (var images = randint(0, 256, [o.Images, 3, 224, 224], dtype: ScalarType.Byte))
            File.WriteAllBytes(Path.Combine(o.Work, ImagesFile), images.data<byte>().ToArray());
        File.WriteAllText(stamp, want);
        Console.WriteLine($"wrote {o.Work}: model.safetensors (HF CLIPModel keys, seed {o.Seed}), {ImagesFile} (uint8 [{o.Images},3,224,224])");
    }

    public const string ImagesFile = "images.u8";

    /// <summary>The prepared images, uint8 [N, 3, 224, 224].</summary>
    public static Tensor Images(string work)
    {
        var bytes = File.ReadAllBytes(Path.Combine(work, ImagesFile));
        return tensor(bytes, dtype: ScalarType.Byte).view(-1, 3, 224, 224);
    }

    /// <summary>Child process: load, warm up (the smoke's embeddings), reset the RSS peak, time the extraction reps.</summary>
    public static int Extract(ClipBenchOptions o)
    {
        torch.set_num_threads(o.Threads);
        var model = ClipCheckpoint.Load(o.Work).Model;
        var loadPeak = ProcessMemory.PeakRssMb();
        using var images = Images(o.Work);
        using var mean = tensor(ClipB32.Mean).view(1, 3, 1, 1);
        using var std = tensor(ClipB32.Std).view(1, 3, 1, 1);
        using var max = 255.ToScalar();
        Tensor Pixels(long at, int n) => images.narrow(0, at, n).to_type(float32).div(max).sub(mean).div(std);
        using (no_grad())
        using (NewDisposeScope())
        {
            var embeds = model.EncodeImage(Pixels(0, (int)Math.Min(o.Batch, images.shape[0])));
            SafeTensors.Save(Path.Combine(o.Work, "ours_embeds.safetensors"), new Dictionary<string, Tensor> { ["embeds"] = embeds });
        }
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var before = ProcessMemory.RssMb();
        ProcessMemory.ResetPeak();
        var times = new List<double>();
        for (var r = 0; r < o.Reps; r++)
        {
            var clock = Stopwatch.StartNew();
            // The product path stops after the hooked block; --full-forward true runs every block, as the peer does.
            var rows = o.FullForward
                ? HookRows.Collect(model.Hooks, [o.Hook], 0, o.Images, o.Batch, (at, n) => model.VisionModel.Forward(Pixels(at, n)))
                : ClipActivationExtractor.Extract(model, Pixels, 0, o.Images, [o.Hook], o.Batch);
            times.Add(clock.Elapsed.TotalSeconds);
            foreach (var t in rows.Values) t.Dispose();
        }
        Console.WriteLine($"setup: TorchSharp 0.107 threads={torch.get_num_threads()} interop={torch.get_num_interop_threads()} images={o.Images} batch={o.Batch}");
        Console.WriteLine("rep_seconds: " + string.Join(",", times.Select(t => t.ToString("F4", Inv))));
        Console.WriteLine($"peak_rss_mb: {F(ProcessMemory.PeakRssMb())}");
        Console.WriteLine($"rss_before_mb: {F(before)}");
        Console.WriteLine($"load_peak_rss_mb: {F(loadPeak)}");
        model.Dispose();
        return 0;
    }

    /// <summary>Child process: peak RSS of loading the checkpoint, beside what the process held before.</summary>
    public static int LoadOnly(ClipBenchOptions o)
    {
        using (var warm = zeros(1)) { }  // libtorch initialised before the baseline is read
        var baseline = ProcessMemory.RssMb();
        ProcessMemory.ResetPeak();
        var clock = Stopwatch.StartNew();
        var model = ClipCheckpoint.Load(o.Work).Model;
        var seconds = clock.Elapsed.TotalSeconds;
        Console.WriteLine($"load_peak_rss_mb: {F(ProcessMemory.PeakRssMb())}");
        Console.WriteLine($"base_rss_mb: {F(baseline)}");
        Console.WriteLine($"load_seconds: {seconds.ToString("F2", Inv)}");
        model.Dispose();
        return 0;
    }

    /// <summary>Our image embedding against PyTorch's (OpenAI's code) on the first batch.</summary>
    static void Smoke(ClipBenchOptions o)
    {
        using var scope = NewDisposeScope();
        var ours = SafeTensors.LoadOne(Path.Combine(o.Work, "ours_embeds.safetensors"), "embeds", out _);
        var theirs = SafeTensors.LoadOne(Path.Combine(o.Work, "torch_embeds.safetensors"), "embeds", out _);
        var diff = (ours - theirs).abs().max().item<float>();
        var scale = theirs.abs().max().item<float>();
        var cos = nn.functional.cosine_similarity(ours, theirs, dim: 1).min().item<float>();
        Console.WriteLine($"smoke: image embeddings [{string.Join(",", ours.shape)}] max abs diff {diff:E3} (max |embedding| {scale:F4}, min cosine {cos:F7})");
    }

    static Child Self(string command, ClipBenchOptions o)
    {
        var exe = Environment.ProcessPath ?? "dotnet";
        var args = new List<string>();
        if (Path.GetFileNameWithoutExtension(exe) == "dotnet") args.Add(typeof(ClipBench).Assembly.Location);
        args.Add(command);
        args.AddRange(o.ChildArgs());
        return Child.Start(exe, args);
    }

    static Child Peer(ClipBenchOptions o)
    {
        var env = new Dictionary<string, string?>
        {
            // Debian's torch calls whatever libblas.so.3 resolves to (the reference BLAS unless OpenBLAS is installed);
            // --peer-blas points it at an unpacked OpenBLAS without changing the machine's alternatives.
            ["LD_LIBRARY_PATH"] = o.PeerBlas == "system" ? Environment.GetEnvironmentVariable("LD_LIBRARY_PATH") : o.PeerBlas,
            ["OPENBLAS_NUM_THREADS"] = $"{o.Threads}",
            ["OPENBLAS_CORETYPE"] = null,
            ["OPENBLAS_L2_SIZE"] = null,
        };
        return Child.Start(o.Python, [o.Script, o.ClipRepo, o.Work, "--hook-block", $"{o.HookBlock}", "--batch", $"{o.Batch}", "--reps", $"{o.Reps}", "--threads", $"{o.Threads}"], env);
    }

    static string Load() => File.ReadAllText("/proc/loadavg").Trim();

    static string F(double v) => v.ToString(v >= 100 ? "F1" : "F3", Inv);

    static double Median(List<double> v)
    {
        var s = v.Order().ToList();
        return s.Count % 2 == 1 ? s[s.Count / 2] : (s[s.Count / 2 - 1] + s[s.Count / 2]) / 2;
    }

    /// <summary>A finished child process's `key: value` lines.</summary>
    sealed class Child
    {
        readonly Dictionary<string, string> _fields = new();

        public string this[string key] => _fields.TryGetValue(key, out var v) ? v : "?";

        public double Number(string key) => double.Parse(this[key], Inv);

        public List<double> Seconds => this["rep_seconds"].Split(',').Select(v => double.Parse(v, Inv)).ToList();

        public static Child Start(string exe, IEnumerable<string> args, IReadOnlyDictionary<string, string?>? env = null)
        {
            var psi = new ProcessStartInfo(exe) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var a in args) psi.ArgumentList.Add(a);
            foreach (var (k, v) in env ?? new Dictionary<string, string?>())
                if (v is null) psi.Environment.Remove(k);
                else psi.Environment[k] = v;
            using var p = Process.Start(psi) ?? throw new InvalidOperationException($"cannot start {exe}");
            var errTask = p.StandardError.ReadToEndAsync();
            var output = p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            if (p.ExitCode != 0) throw new InvalidOperationException($"{exe} {string.Join(" ", psi.ArgumentList)} failed ({p.ExitCode}): {errTask.Result}");
            var child = new Child();
            foreach (var line in output.Split('\n'))
            {
                var colon = line.IndexOf(':');
                if (colon > 0) child._fields[line[..colon].Trim()] = line[(colon + 1)..].Trim();
            }
            return child;
        }
    }
}
