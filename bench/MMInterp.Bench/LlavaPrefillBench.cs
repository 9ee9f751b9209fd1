using System.Diagnostics;
using System.Globalization;
using MMInterp.Kernels.Checkpoints;
using MMInterp.Kernels.IO;
using MMInterp.Kernels.Models.Llava;
using MMInterp.Kernels.Models.Llm;
using static TorchSharp.torch;

using static MMInterp.Bench.BenchArgs;

namespace MMInterp.Bench;

/// <summary>
/// `llava-prefill DIR [--threads N] [--reps N] [--decode K] [--fp32]`: our side of the LLaVA prefill/decode benchmark
/// (issue 20 item 7; bench/run-llava-prefill.sh runs it beside bench/llava_prefill_pytorch.py). DIR is what
/// `tests/reference/llava_reference.py ... --wide` wrote. Prefill = <see cref="LlavaForConditionalGeneration.MergedEmbeddings"/>
/// (vision tower, projector, spliced token embeddings) + the decoder and head over the whole merged sequence (logits at
/// every position), filling a fresh KV cache; the first new token is the argmax at the last position. Decode = K more
/// greedy steps through the cache. One warm-up, then --reps timed repetitions; the same work and output lines as the
/// peer. The checkpoint's bf16 decoder and projector stay bf16 (the product's default load) unless --fp32.
/// </summary>
public static class LlavaPrefillBench
{
    public static int Run(string[] args)
    {
        var dir = args.FirstOrDefault() ?? throw new ArgumentException("llava-prefill DIR [--threads N] [--reps N] [--decode K] [--fp32]");
        var threads = Int(args, "--threads", 2);
        var reps = Int(args, "--reps", 3);
        var steps = Int(args, "--decode", 8);
        var fp32 = args.Contains("--fp32");
        set_num_threads(threads);
        if (args.Contains("--cast-block")) StoredLinear.CastBlockElements = Int(args, "--cast-block", 0);
        using var model = LlavaCheckpoint.Load(dir, new LlavaLoadOptions { LoadTokenizer = false, KeepStoredDType = !fp32 }).Model;
        var loadPeak = ProcessMemory.PeakRssMb();
        long[] ids;
        Tensor pixels;
        using (NewDisposeScope())
        {
            var tensors = SafeTensors.Load(Path.Combine(dir, "golden.safetensors")).Tensors;
            ids = tensors["input_ids"].reshape(-1).data<long>().ToArray();
            pixels = tensors["pixel_values"].to_type(ScalarType.Float32).DetachFromDisposeScope();
        }

        ProcessMemory.ResetPeak(); // the peak below is the work's, with the weights resident
        var prefills = new List<double>();
        var decodes = new List<double>();
        var merged = 0L;
        long[] tokens = [];
        using (no_grad())
        {
            Once(model, ids, pixels, 1); // warm-up
            for (var r = 0; r < reps; r++)
            {
                (merged, var prefill, var decode, tokens) = Once(model, ids, pixels, steps);
                prefills.Add(prefill);
                decodes.Add(decode);
            }
        }
        var (v, t) = (model.Config.Vision, model.Config.Text);
        Console.WriteLine($"ours: TorchSharp threads {get_num_threads()} merged_tokens {merged} decode_steps {steps} decoder {t.HiddenSize}x{t.NumLayers} " +
                          $"vision {v.Tower.HiddenSize}x{v.Tower.NumLayers}; decoder and projector stored {model.StorageDType}, computed in float32");
        Console.WriteLine("prefill_seconds: " + string.Join(",", prefills.Select(s => s.ToString("F4", CultureInfo.InvariantCulture))));
        Console.WriteLine("decode_seconds: " + string.Join(",", decodes.Select(s => s.ToString("F4", CultureInfo.InvariantCulture))));
        Console.WriteLine("prefill_split_seconds (image+projector+splice / decoder layers / norm+head): " +
                          string.Join(" ", Split.Skip(1).Select(x => FormattableString.Invariant($"{x.Image:F3}/{x.Layers:F3}/{x.Head:F3}"))));
        Console.WriteLine("tokens: " + string.Join(",", tokens));
        Console.WriteLine($"peak_rss_mb: {ProcessMemory.PeakRssMb().ToString("F1", CultureInfo.InvariantCulture)}");
        Console.WriteLine($"load_peak_rss_mb: {loadPeak.ToString("F1", CultureInfo.InvariantCulture)}");
        pixels.Dispose();
        return 0;
    }

    static readonly List<(double Image, double Layers, double Head)> Split = [];

    /// <summary>One prefill and <paramref name="steps"/> decode steps: (merged length, prefill s, decode s, tokens).</summary>
    static (long Merged, double Prefill, double Decode, long[] Tokens) Once(LlavaForConditionalGeneration model, long[] ids, Tensor pixels, int steps)
    {
        using var scope = NewDisposeScope();
        using var cache = model.LanguageModel.NewCache();
        var clock = Stopwatch.StartNew();
        var (embeds, _) = model.MergedEmbeddings(ids, pixels);
        var image = clock.Elapsed.TotalSeconds;
        // ForwardEmbeddings in its two parts, timed apart: the layers, then the final norm and head at every position.
        var residual = model.LanguageModel.Residual(embeds, cache);
        var layers = clock.Elapsed.TotalSeconds - image;
        var logits = model.LanguageModel.Unembed(residual);
        var token = logits.select(1, -1).argmax(-1, keepdim: true); // [1, 1]
        var tokens = new List<long> { token.item<long>() };
        var prefill = clock.Elapsed.TotalSeconds;
        Split.Add((image, layers, prefill - image - layers));
        clock.Restart();
        for (var s = 0; s < steps; s++)
        {
            using var step = NewDisposeScope();
            var next = model.LanguageModel.ForwardEmbeddings(model.LanguageModel.Embed(token), cache);
            token = next.select(1, -1).argmax(-1, keepdim: true).MoveToOuterDisposeScope();
            tokens.Add(token.item<long>());
        }
        return (embeds.shape[1], prefill, clock.Elapsed.TotalSeconds, tokens.ToArray());
    }

}
