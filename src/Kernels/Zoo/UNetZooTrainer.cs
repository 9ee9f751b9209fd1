using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using MMInterp.Kernels.Checkpoints;
using MMInterp.Kernels.Models.Clip;
using MMInterp.Kernels.Text;
using MMInterp.Kernels.Models.Diffusion;
using MMInterp.Kernels.Models.StableDiffusion;
using MMInterp.Kernels.Models.ZooUNet;
using MMInterp.Kernels.ShapesWorld;
using MMInterp.Kernels.Tensors;
using MMInterp.Kernels.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Zoo;

/// <summary>Trains the zoo's text-to-image U-Net (DDPM noise prediction, cross-attention to a frozen CLIP text tower)
/// on single-object ShapesWorld captions.</summary>
public sealed class UNetZooTrainer(UNetZooConfig config)
{
    readonly UNetZooConfig _config = config.Validate();

    /// <summary>Backward passes recomputed because libtorch returned a non-finite gradient (see the training loop).</summary>
    public int Retries { get; private set; }

    /// <summary>Trains the U-Net and the attribute classifier, judges the U-Net on the held-out split
    /// (<see cref="UNetZooConfig.EvalSeed"/>) and writes <see cref="UNetZooCheckpoint"/>'s directory. The model returned
    /// owns the CLIP passed in.</summary>
    public (DiffusionMetrics Metrics, UNetZooModel Model, IReadOnlyList<string> Files) Build(ClipModel textEncoder, ClipBpeTokenizer tokenizer,
        string outputDirectory, Action<double, string>? progress = null, Device? device = null, CancellationToken cancel = default)
    {
        var c = _config;
        var dev = device ?? CPU;
        textEncoder.to(dev);
        textEncoder.eval();
        var text = new TextConditioner(textEncoder, tokenizer, c.ContextLength, c.ClipSkip);
        var (unet, seconds, loss, curve) = Train(text, (p, note) => progress?.Invoke(0.85 * p, note), dev, cancel);
        return Judge(unet, text, outputDirectory, seconds, loss, curve, progress, dev);
    }

    /// <summary>The rest of <see cref="Build"/> for a U-Net trained by this recipe: the attribute classifier, the
    /// held-out figures and the directory. Takes ownership of <paramref name="unet"/>.</summary>
    public (DiffusionMetrics Metrics, UNetZooModel Model, IReadOnlyList<string> Files) Judge(UNet2DConditionModel unet, TextConditioner text,
        string outputDirectory, double seconds, double loss, IReadOnlyList<(int Step, double Loss)> curve, Action<double, string>? progress = null, Device? device = null)
    {
        var c = _config;
        var dev = device ?? CPU;
        progress?.Invoke(0.85, "training the attribute classifier");
        var (classifier, heldOut) = AttributeClassifierTrainer.Train(c.ImageSize, c.Seed + 1, c.EvalSeed + 7, c.ClassifierSteps, device: dev);
        var model = new UNetZooModel(unet, text, classifier, c);
        progress?.Invoke(0.9, "generating held-out images");
        var metrics = DiffusionEvaluator.Evaluate(model, heldOut, c.EvalImages);
        var files = UNetZooCheckpoint.Save(model, outputDirectory, new JsonObject
        {
            ["kind"] = "diffusion-unet", ["metrics"] = JsonSerializer.SerializeToNode(metrics), ["train_seconds"] = Finite(seconds), ["final_loss"] = Finite(loss),
            ["gradient_retries"] = Retries, ["loss_curve"] = new JsonArray(curve.Select(p => (JsonNode)new JsonArray(p.Step, p.Loss)).ToArray()),
        });
        progress?.Invoke(1.0, "saved");
        return (metrics, model, files);
    }

    /// <summary>Trains the U-Net only; the caller owns it. Returns the smoothed loss curve (every 10 steps).</summary>
    public (UNet2DConditionModel Model, double Seconds, double FinalLoss, IReadOnlyList<(int Step, double Loss)> Curve) Train(
        TextConditioner text, Action<double, string>? progress = null, Device? device = null, CancellationToken cancel = default)
    {
        var c = _config;
        torch.set_num_threads(c.Threads);
        // oneDNN off (process-wide): with it, this machine's Conv2d backward returned NaN gradients that a recompute
        // did not always clear (two 3000-step runs died at steps 957 and 1312); without it, about 2x slower per step.
        var oneDnnWasOn = OneDnn.Enabled;
        OneDnn.TrySetEnabled(false);
        try { return TrainWithoutOneDnn(text, progress, device, cancel); }
        finally { if (oneDnnWasOn) OneDnn.TrySetEnabled(true); }
    }

    (UNet2DConditionModel Model, double Seconds, double FinalLoss, IReadOnlyList<(int Step, double Loss)> Curve) TrainWithoutOneDnn(
        TextConditioner text, Action<double, string>? progress, Device? device, CancellationToken cancel)
    {
        var c = _config;
        var dev = device ?? CPU;
        var model = TorchRuntime.Seeded(c.Seed, () => new UNet2DConditionModel(c.UNet(text.Width)));
        model.to(dev);
        model.train();
        using var noising = new UNetNoising(dev);
        var world = new ShapesWorldGenerator(ShapesWorldConfig.SingleObject(c.ImageSize));
        static bool Decayed(string name, Tensor p) => p.dim() >= 2;
        using var optimizer = new AdamW(model.named_parameters().Select(p => (p.parameter, Decayed(p.name, p.parameter) ? c.WeightDecay : 0.0)), beta2: 0.99);
        var warmup = Math.Max(1, (int)(c.Steps * c.WarmupFraction));
        var generator = new Generator((ulong)c.Seed + 11, dev);
        var dropRng = new Random((int)c.Seed + 5);
        var clock = Stopwatch.StartNew();
        var smoothed = double.NaN;
        var curve = new List<(int, double)>();
        for (var step = 0; step < c.Steps; step++)
        {
            cancel.ThrowIfCancellationRequested();
            using (var scope = NewDisposeScope())
            {
                optimizer.LearningRate = WarmupCosine.Rate(c.LearningRate, step, c.Steps, warmup);
                using var batch = world.Batch(c.Seed, (long)step * c.BatchSize, c.BatchSize, dev);
                var captions = batch.Scenes.Select(s => dropRng.NextDouble() < c.CaptionDropout ? TextConditioner.Null : Captions.Describe(s)).ToList();
                var x0 = FlowMatching.ToModelSpace(batch.Images);
                var t = randint(0, noising.TrainTimesteps, [c.BatchSize], generator: generator, device: dev);
                var eps = randn(x0.shape, generator: generator, device: dev);
                var cond = text.Encode(captions, dev);
                // libtorch 2.x on the CPU sporadically returns a NaN input gradient from a Conv2d backward (about one
                // call in 300 in a loop of identical 32->3 channel convolutions, with or without a GC; never in the
                // forward). The true gradient is deterministic, so the step is recomputed rather than skipped: a run
                // with a fault ends with the same weights as one without.
                var value = double.NaN;
                for (var attempt = 0; ; attempt++)
                {
                    optimizer.ZeroGrad();
                    var loss = noising.LossPerImage(model, x0, t, eps, cond).mean();
                    loss.backward();
                    if (double.IsFinite(optimizer.ClipGradNorm(1.0))) { value = loss.item<float>(); break; }
                    if (attempt == 3) throw new InvalidOperationException($"step {step + 1}: the gradient stayed non-finite in 4 tries (loss {loss.item<float>()})");
                    Retries++;
                }
                optimizer.Step();
                smoothed = double.IsNaN(smoothed) ? value : 0.98 * smoothed + 0.02 * value;
            }
            Scalars.Release();
            if (step % 10 == 0 || step == c.Steps - 1)
            {
                curve.Add((step + 1, smoothed));
                progress?.Invoke((step + 1.0) / c.Steps, $"step {step + 1}/{c.Steps} loss {smoothed:F4} ({clock.Elapsed.TotalSeconds:F0} s)");
            }
        }
        model.eval();
        return (model, clock.Elapsed.TotalSeconds, smoothed, curve);
    }

    // A judged run that loaded its weights has no training figures: null, not NaN (which JSON cannot hold).
    static JsonNode? Finite(double v) => double.IsFinite(v) ? JsonValue.Create(v) : null;
}
