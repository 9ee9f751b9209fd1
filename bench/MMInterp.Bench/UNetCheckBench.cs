using System.Diagnostics;
using System.Globalization;
using MMInterp.Kernels.Checkpoints;
using MMInterp.Kernels.Hooks;
using MMInterp.Kernels.IO;
using MMInterp.Kernels.Models.StableDiffusion;
using static TorchSharp.torch;

using static MMInterp.Bench.BenchArgs;

namespace MMInterp.Bench;

/// <summary>
/// `unet-check DIR [--threads N] [--latents S]`: the Stable Diffusion U-Net against the CompVis reference at SD 1.5's
/// real widths. DIR is what `tests/reference/sd_unet_reference.py ... --wide` wrote (diffusers config.json, F16
/// weights, golden.safetensors on 8x8 latents). Loads it (widened to fp32), compares the output, and reports load time,
/// RSS over the fp32 model, and the forward time on the golden's latents and, with --latents S, on random [1,4,S,S]
/// latents (S = 64: a 512-pixel image). Exit code 1 when the output disagrees: by more than twice the reference's own
/// float32 error (against its float64 run, out_f64) when the golden has it, else by more than 1e-3 of its scale.
/// </summary>
public static class UNetCheckBench
{
    public static int Run(string[] args)
    {
        var dir = args.FirstOrDefault() ?? throw new ArgumentException("unet-check DIR [--threads N] [--latents S]");
        var threads = int.Parse(Option(args, "--threads", "2"), CultureInfo.InvariantCulture);
        var latents = int.Parse(Option(args, "--latents", "0"), CultureInfo.InvariantCulture);
        set_num_threads(threads);
        var before = ProcessMemory.RssMb();
        var clock = Stopwatch.StartNew();
        using var unet = UNetCheckpoint.Load(dir).Model;
        var loadSeconds = clock.Elapsed.TotalSeconds;
        var loadedRss = ProcessMemory.RssMb();
        var parameters = unet.parameters().Sum(p => p.numel());
        var c = unet.Config;
        Console.WriteLine($"unet-check: {dir}: channels [{string.Join(",", c.BlockOutChannels)}], {c.LayersPerBlock} layers per block, " +
                          $"heads [{string.Join(",", c.HeadCounts)}], context {c.CrossAttentionDim}; {parameters / 1e6:F1} M parameters; threads {threads}");
        Console.WriteLine($"load: {loadSeconds:F2} s, RSS {before:F0} -> {loadedRss:F0} MB (over the fp32 model {(loadedRss - before) / (parameters * 4 / 1048576.0):F3})");

        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var g = SafeTensors.Load(Path.Combine(dir, "golden.safetensors")).Tensors;
        // --materialise: hook every pattern (read-only), so attention takes the explicit softmax path, not the fused one.
        if (args.Contains("--materialise")) unet.Hooks.Add(n => n.EndsWith("hook_pattern", StringComparison.Ordinal), (x, _) => x);
        using var cache = new ActivationCache();
        if (g.ContainsKey("ref.middle")) unet.Hooks.Add(_ => true, Hook.Cache(cache));
        clock.Restart();
        var output = unet.Forward(g["sample"], g["timestep"], g["encoder_hidden_states"]);
        var forward = clock.Elapsed.TotalSeconds;
        unet.Hooks.Clear();
        if (g.ContainsKey("ref.middle")) Intermediates(g, cache, c);
        var diff = (output - g["out"]).abs().max().item<float>();
        var scale = g["out"].abs().max().item<float>();
        Console.WriteLine($"output [{string.Join(",", output.shape)}]: max |ours - reference| {diff:E2} (reference max |out| {scale:F3}); forward {forward:F2} s");
        // With the reference's float64 run: both float32 implementations beside it, so rounding at these widths has a
        // measure of its own. Pass when ours is within twice the reference's own float32 error.
        var ok = diff <= 1e-3 * Math.Max(1, scale);
        if (g.TryGetValue("out_f64", out var exact))
        {
            var ours64 = (output - exact).abs().max().item<float>();
            var ref64 = (g["out"] - exact).abs().max().item<float>();
            Console.WriteLine($"against the reference in float64: ours {ours64:E2}, reference float32 {ref64:E2}");
            ok = ours64 <= 2 * ref64;
        }
        if (latents > 0)
        {
            var sample = randn(1, 4, latents, latents);
            var text = randn(1, 77, c.CrossAttentionDim);
            ProcessMemory.ResetPeak();
            clock.Restart();
            unet.Forward(sample, tensor(500f), text);
            Console.WriteLine($"forward [1,4,{latents},{latents}] with 77 text tokens: {clock.Elapsed.TotalSeconds:F2} s, peak RSS {ProcessMemory.PeakRssMb():F0} MB");
        }
        Console.WriteLine(ok ? "unet-check: PASS" : "unet-check: FAIL");
        return ok ? 0 : 1;
    }

    /// <summary>Each reference block's output beside our hook at the same place (the golden's ref.* entries).</summary>
    static void Intermediates(Dictionary<string, Tensor> g, ActivationCache cache, UNetConfig c)
    {
        var pairs = new List<(string Reference, string Ours)> { ("ref.temb", "unet.hook_temb"), ("ref.input.0", "unet.hook_conv_in") };
        var k = 1;
        for (var i = 0; i < c.Levels; i++)
        {
            for (var j = 0; j < c.LayersPerBlock; j++)
                pairs.Add(($"ref.input.{k++}", c.DownHasAttention(i) ? $"unet.down.{i}.attn.{j}.hook_out" : $"unet.down.{i}.resnet.{j}.hook_out"));
            if (i < c.Levels - 1) pairs.Add(($"ref.input.{k++}", $"unet.down.{i}.hook_out"));
        }
        if (g.ContainsKey("ref.middle.0"))
            pairs.AddRange([("ref.middle.0", "unet.mid.resnet.0.hook_out"), ("ref.middle.1.block.0", "unet.mid.attn.0.blocks.0.hook_resid_post"),
                ("ref.middle.1", "unet.mid.attn.0.hook_out"), ("ref.middle.2", "unet.mid.resnet.1.hook_out")]);
        pairs.Add(("ref.middle", "unet.mid.hook_out"));
        k = 0;
        for (var i = 0; i < c.Levels; i++)
            for (var j = 0; j <= c.LayersPerBlock; j++, k++)
                pairs.Add(($"ref.output.{k}", j == c.LayersPerBlock && i < c.Levels - 1 ? $"unet.up.{i}.hook_out"
                    : c.UpHasAttention(i) ? $"unet.up.{i}.attn.{j}.hook_out" : $"unet.up.{i}.resnet.{j}.hook_out"));
        foreach (var (reference, ours) in pairs)
        {
            var expected = g[reference];
            var diff = (cache[ours] - expected).abs().max().item<float>();
            Console.WriteLine($"  {reference,-14} {ours,-36} max |diff| {diff:E2} (max |ref| {expected.abs().max().item<float>():F3})");
        }
    }

}
