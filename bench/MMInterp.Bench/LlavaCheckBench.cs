using System.Diagnostics;
using System.Globalization;
using MMInterp.Kernels.Checkpoints;
using MMInterp.Kernels.IO;
using static TorchSharp.torch;

using static MMInterp.Bench.BenchArgs;

namespace MMInterp.Bench;

/// <summary>
/// `llava-check DIR [--threads N] [--cached-only]`: LLaVA at LLaVA-1.5-7B's widths against the independent references (issue 20 item
/// 4). DIR is what `tests/reference/llava_reference.py ... --wide` wrote (ViT-L/14 336 px with 2 blocks, the
/// 1024 -> 4096 projector, one decoder layer at Vicuna-7B widths, BF16, golden.safetensors). Compares the projected
/// image features, the merged sequence's logits and the greedy continuation (with the KV cache and without), and
/// reports load time, RSS over the weights' bytes, prefill tokens/s of the merged sequence and decode tokens/s with
/// the cache. Exit code 1 when anything disagrees.
/// </summary>
public static class LlavaCheckBench
{
    public static int Run(string[] args)
    {
        var dir = args.FirstOrDefault() ?? throw new ArgumentException("llava-check DIR [--threads N]");
        var threads = int.Parse(Option(args, "--threads", "2"), CultureInfo.InvariantCulture);
        set_num_threads(threads);
        var weightBytes = HfWeightFiles.Open(dir).DataBytes;
        var before = ProcessMemory.RssMb();
        var clock = Stopwatch.StartNew();
        using var model = LlavaCheckpoint.Load(dir, new LlavaLoadOptions { LoadTokenizer = false }).Model;
        var loadSeconds = clock.Elapsed.TotalSeconds;
        var loadedRss = ProcessMemory.RssMb();
        var (v, t) = (model.Config.Vision, model.Config.Text);
        Console.WriteLine($"llava-check: {dir}: vision {v.Tower.HiddenSize}x{v.Tower.NumLayers} {v.ImageSize}px/{v.PatchSize} ({model.Config.FeaturesPerImage} image tokens), " +
                          $"decoder {t.HiddenSize}x{t.NumLayers} ({t.NumHeads} heads), vocab {t.VocabSize}; {model.StorageDType}, {weightBytes / 1e6:F0} MB of weights; threads {threads}");
        Console.WriteLine($"load: {loadSeconds:F2} s, RSS {before:F0} -> {loadedRss:F0} MB (over weights {(loadedRss - before) / (weightBytes / 1048576.0):F3}; the vision tower is held in fp32)");

        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var golden = SafeTensors.Load(Path.Combine(dir, "golden.safetensors")).Tensors;
        var ids = golden["input_ids"].reshape(-1).data<long>().ToArray();
        var pixels = golden["pixel_values"];
        var featureDiff = (model.ImageFeatures(pixels) - golden["image_features"]).abs().max().item<float>();
        ProcessMemory.ResetPeak();
        clock.Restart();
        var logits = model.Logits(ids, pixels);
        var prefill = clock.Elapsed.TotalSeconds;
        var peak = ProcessMemory.PeakRssMb();
        var expected = golden["logits"];
        var diff = (logits - expected).abs().max().item<float>();
        var scale = expected.abs().max().item<float>();
        var merged = logits.shape[1];
        Console.WriteLine($"image features: max |ours - reference| {featureDiff:E2}; logits: {diff:E2} (reference max |logit| {scale:F2}); " +
                          $"prefill {merged} merged tokens (vision tower included) in {prefill:F3} s = {merged / prefill:F1} tokens/s; peak RSS {peak:F0} MB");

        var want = golden["greedy"].reshape(-1).data<long>().ToArray();
        clock.Restart();
        var cached = model.Generate(ids, pixels, want.Length, stopIds: [], useCache: true);
        var cachedSeconds = clock.Elapsed.TotalSeconds;
        clock.Restart();
        // --cached-only: on a loaded machine the uncached pass (every step over the whole merged sequence) takes minutes.
        var uncached = args.Contains("--cached-only") ? cached : model.Generate(ids, pixels, want.Length, stopIds: [], useCache: false);
        var uncachedSeconds = clock.Elapsed.TotalSeconds;
        // Generate repeats the prefill, so this is a rough figure; `llava-prefill` times decode on its own.
        var decodeText = cachedSeconds > prefill ? $"decode ~{(want.Length - 1) / (cachedSeconds - prefill):F1} tokens/s" : "decode: see llava-prefill";
        Console.WriteLine($"greedy: reference [{string.Join(",", want)}] cached [{string.Join(",", cached)}] uncached [{string.Join(",", uncached)}]");
        Console.WriteLine($"generate {want.Length} tokens: with cache {cachedSeconds:F2} s ({decodeText}), without {uncachedSeconds:F2} s");
        var ok = featureDiff <= 1e-3 * Math.Max(1, golden["image_features"].abs().max().item<float>()) && diff <= 1e-3 * Math.Max(1, scale)
                 && want.SequenceEqual(cached) && want.SequenceEqual(uncached);
        Console.WriteLine(ok ? "llava-check: PASS" : "llava-check: FAIL");
        return ok ? 0 : 1;
    }

}
