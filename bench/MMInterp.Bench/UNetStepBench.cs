using System.Diagnostics;
using System.Globalization;
using MMInterp.Kernels.Checkpoints;
using MMInterp.Kernels.IO;
using MMInterp.Kernels.Models.StableDiffusion;
using static TorchSharp.torch;

using static MMInterp.Bench.BenchArgs;

namespace MMInterp.Bench;

/// <summary>
/// `unet-step DIR [--latents S] [--reps N] [--threads N]`: our side of the U-Net step benchmark (issue 21 item 6;
/// bench/run-unet-step.sh runs it beside bench/unet_step_pytorch.py, the CompVis reference). DIR is what
/// `tests/reference/sd_unet_reference.py ... --wide` wrote; DIR/step_inputs_S.safetensors (latents [B,4,S,S], one
/// timestep, text states [B,T,context]) is written by the peer, so both sides run the same input. A step = one
/// <see cref="UNet2DConditionModel.Forward"/> under no_grad, as a DDIM sampler step calls it. Loads as the product
/// does (F16 widened to fp32); one warm-up, then --reps timed steps; the same output lines as the peer, plus the largest
/// difference from the peer's output on this input (DIR/step_out_pytorch_S.safetensors, when the peer has run) and the
/// time of each stretch of the forward (down levels, mid, up levels, output), taken at the blocks' hook points.
/// </summary>
public static class UNetStepBench
{
    public static int Run(string[] args)
    {
        var dir = args.FirstOrDefault() ?? throw new ArgumentException("unet-step DIR [--latents S] [--reps N] [--threads N]");
        var latents = Int(args, "--latents", 64);
        var reps = Int(args, "--reps", 3);
        set_num_threads(Int(args, "--threads", 2));
        var inputsPath = Path.Combine(dir, $"step_inputs_{latents}.safetensors");
        if (!File.Exists(inputsPath))
            throw new FileNotFoundException($"{inputsPath} is missing: bench/unet_step_pytorch.py writes it (run the peer first, or bench/run-unet-step.sh)");
        using var unet = UNetCheckpoint.Load(dir).Model;
        var loadPeak = ProcessMemory.PeakRssMb();
        var c = unet.Config;
        using var inputs = NewDisposeScope();
        var x = SafeTensors.Load(inputsPath).Tensors;
        var (sample, timestep, states) = (x["sample"], x["timestep"], x["encoder_hidden_states"]);

        // One timestamp at the end of each stretch: the hook only reads the clock (it returns its input untouched, and
        // no pattern point is hooked, so attention keeps its fused path).
        var ends = new List<string>();
        for (var i = 0; i < c.Levels; i++) ends.Add($"unet.down.{i}.hook_out");
        ends.Add("unet.mid.hook_out");
        for (var i = 0; i < c.Levels; i++) ends.Add($"unet.up.{i}.hook_out");
        var clock = new Stopwatch();
        var marks = new List<double>();
        unet.Hooks.Add(n => ends.Contains(n), (t, _) => { marks.Add(clock.Elapsed.TotalSeconds); return t; });

        ProcessMemory.ResetPeak(); // the peak below is the steps', with the weights resident
        var seconds = new List<double>();
        var splits = new List<double[]>();
        Tensor? first = null;
        using (no_grad())
        {
            for (var r = -1; r < reps; r++) // r = -1: the warm-up
            {
                using var step = NewDisposeScope();
                marks.Clear();
                clock.Restart();
                var output = unet.Forward(sample, timestep, states);
                var total = clock.Elapsed.TotalSeconds;
                if (r < 0) continue;
                seconds.Add(total);
                var at = marks.Append(total).ToArray();
                splits.Add(at.Select((m, k) => k == 0 ? m : m - at[k - 1]).ToArray());
                if (r == 0) first = output.MoveToOuterDisposeScope();
            }
        }
        unet.Hooks.Clear();

        Console.WriteLine($"ours: TorchSharp threads {get_num_threads()} latents [{string.Join(",", sample.shape)}] tokens {states.shape[1]} " +
                          $"{unet.parameters().Sum(p => p.numel()) / 1e6:F1} M parameters; UNet2DConditionModel, float32");
        var peerPath = Path.Combine(dir, $"step_out_pytorch_{latents}.safetensors");
        if (File.Exists(peerPath))
        {
            var peer = SafeTensors.Load(peerPath).Tensors["out"];
            Console.WriteLine(FormattableString.Invariant(
                $"vs_pytorch: max |ours - peer| {(first! - peer).abs().max().item<float>():E2} (peer max |out| {peer.abs().max().item<float>():F3}) on the same input"));
        }
        else Console.WriteLine($"vs_pytorch: {peerPath} not there yet (the peer writes it)");
        Console.WriteLine("step_seconds: " + string.Join(",", seconds.Select(s => s.ToString("F4", CultureInfo.InvariantCulture))));
        Console.WriteLine($"split_seconds (down 0-{c.Levels - 1} / mid / up 0-{c.Levels - 1} / norm+conv_out): " +
                          string.Join(" ", splits.Select(s => string.Join("/", s.Select(v => v.ToString("F3", CultureInfo.InvariantCulture))))));
        Console.WriteLine($"peak_rss_mb: {ProcessMemory.PeakRssMb().ToString("F1", CultureInfo.InvariantCulture)}");
        Console.WriteLine($"load_peak_rss_mb: {loadPeak.ToString("F1", CultureInfo.InvariantCulture)}");
        return 0;
    }

}
