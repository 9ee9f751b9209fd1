using System.Diagnostics;
using System.Globalization;
using MMInterp.Kernels.Checkpoints;
using MMInterp.Kernels.IO;
using MMInterp.Kernels.Models.Llm;
using static TorchSharp.torch;

using static MMInterp.Bench.BenchArgs;

namespace MMInterp.Bench;

/// <summary>
/// `llama-check DIR [--threads N]`: the decoder against Meta's reference at real widths (issue 20 item 4). DIR is
/// what `tests/reference/llama_meta_reference.py ... --wide` wrote (one layer at LLaVA-1.5-7B's language-model widths,
/// BF16 weights, golden.safetensors). Loads it keeping bf16, compares the prompt's logits and the greedy continuation
/// (with the KV cache and without), and reports load time, peak RSS over the weights' bytes, prefill tokens/s and
/// decode tokens/s with the cache. Exit code 1 when the logits or tokens disagree.
/// </summary>
public static class LlamaCheckBench
{
    public static int Run(string[] args)
    {
        var dir = args.FirstOrDefault() ?? throw new ArgumentException("llama-check DIR [--threads N]");
        var threads = int.Parse(Option(args, "--threads", "2"), CultureInfo.InvariantCulture);
        set_num_threads(threads);
        if (args.Contains("--cast-block")) StoredLinear.CastBlockElements = long.Parse(Option(args, "--cast-block", "0"), CultureInfo.InvariantCulture);
        var weightBytes = HfWeightFiles.Open(dir).DataBytes;
        var before = ProcessMemory.RssMb();
        var clock = Stopwatch.StartNew();
        using var lm = LlamaCheckpoint.Load(dir).Model;
        var loadSeconds = clock.Elapsed.TotalSeconds;
        var loadedRss = ProcessMemory.RssMb();
        var c = lm.Config;
        Console.WriteLine($"llama-check: {dir}: hidden {c.HiddenSize}, {c.NumLayers} layer(s), {c.NumHeads} heads ({c.NumKvHeads} kv), " +
                          $"intermediate {c.IntermediateSize}, vocab {c.VocabSize}; {lm.StorageDType}, {weightBytes / 1e6:F0} MB of weights; threads {threads}, cast block {StoredLinear.CastBlockElements} elements");
        Console.WriteLine($"load: {loadSeconds:F2} s, RSS {before:F0} -> {loadedRss:F0} MB (over weights {(loadedRss - before) / (weightBytes / 1048576.0):F3})");

        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var golden = SafeTensors.Load(Path.Combine(dir, "golden.safetensors")).Tensors;
        var (ids, expected, greedy) = (golden["input_ids"], golden["logits"], golden["greedy"]);
        var prompt = ids.shape[1];
        lm.Forward(ids.narrow(1, 0, 4)); // warm-up
        ProcessMemory.ResetPeak();
        clock.Restart();
        var logits = lm.Forward(ids);
        var prefill = clock.Elapsed.TotalSeconds;
        var peak = ProcessMemory.PeakRssMb();
        var diff = (logits - expected).abs().max().item<float>();
        var scale = expected.abs().max().item<float>();
        Console.WriteLine($"logits: max |ours - reference| {diff:E2} (reference max |logit| {scale:F2}); prefill {prompt} tokens in {prefill:F3} s = {prompt / prefill:F1} tokens/s; peak RSS {peak:F0} MB");

        var steps = (int)greedy.shape[1];
        var want = greedy[0].data<long>().ToArray();
        clock.Restart();
        var cached = LlamaGreedy.Generate(lm, ids, steps, stopIds: [], useCache: true)[0];
        var cachedSeconds = clock.Elapsed.TotalSeconds;
        clock.Restart();
        // --cached-only: for tuning runs that time decoding alone (the check then holds the cached tokens only).
        var uncached = args.Contains("--cached-only") ? cached : LlamaGreedy.Generate(lm, ids, steps, stopIds: [], useCache: false)[0];
        var uncachedSeconds = clock.Elapsed.TotalSeconds;
        // Decode alone: the cached run's time less one prefill of the prompt.
        var decode = (steps - 1) / Math.Max(1e-9, cachedSeconds - prefill);
        Console.WriteLine($"greedy: reference [{string.Join(",", want)}] cached [{string.Join(",", cached)}] uncached [{string.Join(",", uncached)}]");
        Console.WriteLine($"generate {steps} tokens: with cache {cachedSeconds:F2} s (decode ~{decode:F1} tokens/s), without {uncachedSeconds:F2} s");
        var ok = diff <= 1e-3 * Math.Max(1, scale) && want.SequenceEqual(cached) && want.SequenceEqual(uncached);
        Console.WriteLine(ok ? "llama-check: PASS" : "llama-check: FAIL");
        return ok ? 0 : 1;
    }

}
