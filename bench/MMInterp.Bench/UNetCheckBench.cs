using System.Diagnostics;
using System.Globalization;
using MMInterp.Kernels.Checkpoints;
using MMInterp.Kernels.IO;
using static TorchSharp.torch;

namespace MMInterp.Bench;

/// <summary>
/// `unet-check DIR [--threads N] [--latents S]`: the Stable Diffusion U-Net against the CompVis reference at SD 1.5's
/// real widths. DIR is what `tests/reference/sd_unet_reference.py ... --wide` wrote (diffusers config.json, F16
/// weights, golden.safetensors on 8x8 latents). Loads it (widened to fp32), compares the output, and reports load time,
/// RSS over the fp32 model, and the forward time on the golden's latents and, with --latents S, on random [1,4,S,S]
/// latents (S = 64: a 512-pixel image). Exit code 1 when the output disagrees.
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
        clock.Restart();
        var output = unet.Forward(g["sample"], g["timestep"], g["encoder_hidden_states"]);
        var forward = clock.Elapsed.TotalSeconds;
        var diff = (output - g["out"]).abs().max().item<float>();
        var scale = g["out"].abs().max().item<float>();
        Console.WriteLine($"output [{string.Join(",", output.shape)}]: max |ours - reference| {diff:E2} (reference max |out| {scale:F3}); forward {forward:F2} s");
        if (latents > 0)
        {
            var sample = randn(1, 4, latents, latents);
            var text = randn(1, 77, c.CrossAttentionDim);
            ProcessMemory.ResetPeak();
            clock.Restart();
            unet.Forward(sample, tensor(500f), text);
            Console.WriteLine($"forward [1,4,{latents},{latents}] with 77 text tokens: {clock.Elapsed.TotalSeconds:F2} s, peak RSS {ProcessMemory.PeakRssMb():F0} MB");
        }
        var ok = diff <= 1e-3 * Math.Max(1, scale);
        Console.WriteLine(ok ? "unet-check: PASS" : "unet-check: FAIL");
        return ok ? 0 : 1;
    }

    static string Option(string[] args, string name, string fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
    }
}
