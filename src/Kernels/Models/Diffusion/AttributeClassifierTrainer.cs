using MMInterp.Kernels.ShapesWorld;
using MMInterp.Kernels.Tensors;
using MMInterp.Kernels.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Models.Diffusion;

/// <summary>Trains the <see cref="AttributeClassifier"/> on single-object scenes of one seed and measures it on another.</summary>
public static class AttributeClassifierTrainer
{
    public static (AttributeClassifier Model, IReadOnlyDictionary<ObjectAttribute, double> HeldOut) Train(
        int imageSize, long seed, long evalSeed, int steps, int batchSize = 64, int evalImages = 512, Device? device = null)
    {
        if (steps < 1) throw new ArgumentException($"classifier steps must be at least 1, got {steps}", nameof(steps));
        if (seed == evalSeed) throw new ArgumentException("classifier evalSeed must differ from seed (held-out split)", nameof(evalSeed));
        var dev = device ?? CPU;
        // A model's oracle may be made on first use, inside a caller's no_grad block.
        using var grad = enable_grad();
        var model = TorchRuntime.Seeded(seed + 17, () => new AttributeClassifier(imageSize));
        model.to(dev);
        model.train();
        var world = new ShapesWorldGenerator(ShapesWorldConfig.SingleObject(imageSize));
        using var optimizer = new AdamW(model.parameters().Select(p => (p, p.dim() >= 2 ? 1e-4 : 0.0))) { LearningRate = 2e-3 };
        for (var step = 0; step < steps; step++)
        {
            using var scope = NewDisposeScope();
            optimizer.LearningRate = 2e-3 * 0.5 * (1 + Math.Cos(Math.PI * step / steps));
            using var batch = world.Batch(seed, (long)step * batchSize, batchSize, dev);
            var logits = model.Logits(batch.Images);
            var loss = AttributeClassifier.Attributes.Select(a => nn.functional.cross_entropy(logits[a], batch.FirstObject(a))).Aggregate((x, y) => x + y);
            optimizer.ZeroGrad();
            loss.backward();
            optimizer.Step();
        }
        model.eval();
        return (model, Accuracy(model, world, evalSeed, evalImages, dev));
    }

    /// <summary>Held-out accuracy per attribute on real single-object images.</summary>
    public static IReadOnlyDictionary<ObjectAttribute, double> Accuracy(AttributeClassifier model, ShapesWorldGenerator world, long seed, int images, Device device)
    {
        using var scope = NewDisposeScope();
        var correct = AttributeClassifier.Attributes.ToDictionary(a => a, _ => 0L);
        for (var start = 0; start < images; start += 256)
        {
            using var inner = NewDisposeScope();
            using var batch = world.Batch(seed, start, Math.Min(256, images - start), device);
            var predicted = model.Predict(batch.Images);
            foreach (var a in AttributeClassifier.Attributes) correct[a] += predicted[a].eq(batch.FirstObject(a)).sum().item<long>();
        }
        return correct.ToDictionary(kv => kv.Key, kv => (double)kv.Value / images);
    }
}
