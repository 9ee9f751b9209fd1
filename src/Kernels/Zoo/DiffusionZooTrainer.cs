using System.Diagnostics;
using System.Text.Json;
using MMInterp.Kernels.Checkpoints;
using MMInterp.Kernels.Models.Clip;
using MMInterp.Kernels.Models.Diffusion;
using MMInterp.Kernels.ShapesWorld;
using MMInterp.Kernels.Tensors;
using MMInterp.Kernels.Text;
using MMInterp.Kernels.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Zoo;

/// <summary>Trains the tiny text-to-image model (rectified flow, DiT with cross-attention to a frozen CLIP text tower)
/// on single-object ShapesWorld captions, trains the attribute classifier that scores it, measures both on a
/// held-out seed and writes the directory <see cref="DiffusionCheckpoint"/> reads.</summary>
public sealed class DiffusionZooTrainer(DiffusionZooConfig config)
{
    readonly DiffusionZooConfig _config = config.Validate();

    /// <summary>Trains, evaluates and saves. The bundle returned owns the models (and the CLIP passed in).</summary>
    public (DiffusionZooResult Result, DiffusionBundle Bundle) Build(ClipModel textEncoder, ClipBpeTokenizer tokenizer, string outputDirectory,
        Action<double, string>? progress = null, Device? device = null, CancellationToken cancel = default)
    {
        var c = _config;
        var dev = device ?? CPU;
        textEncoder.to(dev);
        textEncoder.eval();
        var text = new TextConditioner(textEncoder, tokenizer, c.ContextLength);
        var (denoiser, seconds, loss, curve) = Train(text, (p, note) => progress?.Invoke(0.8 * p, note), dev, cancel);
        progress?.Invoke(0.8, "training the attribute classifier");
        var (classifier, heldOut) = AttributeClassifierTrainer.Train(c.ImageSize, c.Seed + 1, c.EvalSeed + 7, c.ClassifierSteps, device: dev);
        var bundle = new DiffusionBundle(denoiser, text, classifier, c);
        progress?.Invoke(0.85, "generating held-out images");
        var metrics = DiffusionEvaluator.Evaluate(bundle, heldOut, c.EvalImages);
        var files = DiffusionCheckpoint.Save(bundle, outputDirectory).ToList();
        var zooPath = Path.Combine(outputDirectory, "zoo.json");
        File.WriteAllText(zooPath, JsonSerializer.Serialize(new
        {
            kind = "diffusion", config = c, metrics, train_seconds = seconds, final_loss = loss,
            loss_curve = curve.Select(p => new[] { p.Step, p.Loss }),
        }, new JsonSerializerOptions { WriteIndented = true }));
        files.Add(zooPath);
        progress?.Invoke(1.0, "saved");
        return (new DiffusionZooResult(c, metrics, outputDirectory, files, seconds, loss, curve), bundle);
    }

    /// <summary>Trains the denoiser only; the caller owns it. Returns the smoothed loss curve (every 10 steps).</summary>
    public (DiffusionTransformer Model, double Seconds, double FinalLoss, IReadOnlyList<(int Step, double Loss)> Curve) Train(
        TextConditioner text, Action<double, string>? progress = null, Device? device = null, CancellationToken cancel = default)
    {
        var c = _config;
        torch.set_num_threads(c.Threads);
        var dev = device ?? CPU;
        var model = TorchRuntime.Seeded(c.Seed, () => new DiffusionTransformer(c.ModelConfig(text.Width)));
        model.to(dev);
        model.train();
        var world = new ShapesWorldGenerator(ShapesWorldConfig.SingleObject(c.ImageSize));
        static bool Decayed(string name, Tensor p) => p.dim() >= 2 && !name.Contains("embedding");
        using var optimizer = new AdamW(model.named_parameters().Select(p => (p.parameter, Decayed(p.name, p.parameter) ? c.WeightDecay : 0.0)), beta2: 0.99);
        var warmup = Math.Max(1, (int)(c.Steps * c.WarmupFraction));
        var generator = new Generator((ulong)c.Seed + 11, dev);
        var dropRng = new Random((int)c.Seed + 5);
        var clock = Stopwatch.StartNew();
        var cpuAtStart = Process.GetCurrentProcess().TotalProcessorTime;
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
                var t = rand([c.BatchSize], generator: generator, device: dev);
                var eps = randn(x0.shape, generator: generator, device: dev);
                optimizer.ZeroGrad();
                var loss = FlowMatching.LossPerImage(model, x0, t, eps, text.Encode(captions, dev)).mean();
                loss.backward();
                optimizer.ClipGradNorm(1.0);
                optimizer.Step();
                var value = loss.item<float>();
                smoothed = double.IsNaN(smoothed) ? value : 0.98 * smoothed + 0.02 * value;
            }
            Scalars.Release();
            if (step % 10 == 0 || step == c.Steps - 1)
            {
                curve.Add((step + 1, smoothed));
                progress?.Invoke((step + 1.0) / c.Steps, $"step {step + 1}/{c.Steps} loss {smoothed:F4} ({clock.Elapsed.TotalSeconds:F0} s, cpu {(Process.GetCurrentProcess().TotalProcessorTime - cpuAtStart).TotalSeconds:F0} s)");
            }
        }
        model.eval();
        return (model, clock.Elapsed.TotalSeconds, smoothed, curve);
    }
}
