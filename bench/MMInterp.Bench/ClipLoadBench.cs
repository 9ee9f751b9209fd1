using System.Globalization;
using MMInterp.Kernels.Checkpoints;
using MMInterp.Kernels.Models.Clip;
using MMInterp.Kernels.Text;
using TorchSharp;
using static TorchSharp.torch;

using static MMInterp.Bench.BenchArgs;

namespace MMInterp.Bench;

/// <summary>
/// clip_b32_load_rss_over_weights: peak RSS of a process that loads a random ViT-B/32 CLIP in HF layout, over the
/// weights' size. `clip-write DIR` makes the checkpoint (openai/clip-vit-base-patch32's config, random weights, fp32
/// or fp16, optionally sharded); `clip-load-dir DIR` loads it in a fresh process and prints its peak RSS (VmHWM), which
/// /usr/bin/time -v reports too.
/// </summary>
public static class ClipLoadBench
{
    /// <summary>openai/clip-vit-base-patch32's shape.</summary>
    public static ClipConfig VitB32 => new()
    {
        ProjectionDim = 512,
        Vision = new ClipVisionConfig
        {
            ImageSize = 224, PatchSize = 32,
            Tower = new ClipTowerConfig { HiddenSize = 768, IntermediateSize = 3072, NumLayers = 12, NumHeads = 12 },
        },
        Text = new ClipTextConfig
        {
            VocabSize = 49408, MaxPositions = 77, EosTokenId = 2,
            Tower = new ClipTowerConfig { HiddenSize = 512, IntermediateSize = 2048, NumLayers = 12, NumHeads = 8 },
        },
    };

    public static int Write(string[] args)
    {
        var dir = args.FirstOrDefault() ?? throw new ArgumentException("clip-write DIR [--dtype f32|f16|bf16] [--shards N]");
        var dtype = Option(args, "--dtype", "f32");
        var shards = int.Parse(Option(args, "--shards", "1"), CultureInfo.InvariantCulture);
        manual_seed(0);
        using var model = new ClipModel(VitB32);
        var state = ClipCheckpoint.StateDict(model).ToDictionary(kv => kv.Key, kv => dtype switch
        {
            "f16" => kv.Value.to(float16),
            "bf16" => kv.Value.to(bfloat16),
            _ => kv.Value,
        });
        Directory.CreateDirectory(dir);
        ClipConfigJson.Write(VitB32, Path.Combine(dir, "config.json"));
        if (shards == 1) Kernels.IO.SafeTensors.Save(Path.Combine(dir, "model.safetensors"), state);
        else HfShardedWriter.Write(dir, state, shards);
        ClipBpeTokenizer.BuildForWords(["a", "photo", "of", "cat"]).Save(dir);
        var s = ClipDirectory.Inspect(dir);
        Console.WriteLine($"wrote {dir}: {s.Architecture}; {s.ParameterCount:N0} parameters, {s.Weights.DataBytes / 1e6:F1} MB in {s.Weights.Shards.Count} file(s)");
        return 0;
    }

    public static int Load(string[] args)
    {
        var dir = args.FirstOrDefault() ?? throw new ArgumentException("clip-load-dir DIR");
        var weights = HfWeightFiles.Open(dir).DataBytes;
        if (args.Contains("--construct-only"))
        {
            var t0 = DateTime.UtcNow;
            using (new ClipModel(ClipDirectory.ReadConfig(dir))) Console.WriteLine($"constructed in {(DateTime.UtcNow - t0).TotalSeconds:F1} s");
            return 0;
        }
        var start = DateTime.UtcNow;
        using var model = ClipCheckpoint.Load(dir).Model;
        var seconds = (DateTime.UtcNow - start).TotalSeconds;
        var fp32 = model.parameters().Sum(p => p.numel()) * 4L;
        var peak = PeakRssBytes();
        Console.WriteLine($"loaded in {seconds:F1} s; weights {weights / 1e6:F1} MB on disk, {fp32 / 1e6:F1} MB as fp32; peak RSS {peak / 1e6:F1} MB");
        Console.WriteLine($"figure clip_b32_load_rss_over_weights: {(double)peak / weights:F3}");
        if (fp32 != weights) Console.WriteLine($"peak RSS over the fp32 model: {(double)peak / fp32:F3}");
        return 0;
    }

    static long PeakRssBytes() =>
        File.ReadLines("/proc/self/status").Where(l => l.StartsWith("VmHWM:", StringComparison.Ordinal))
            .Select(l => long.Parse(l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024).Single();

}
