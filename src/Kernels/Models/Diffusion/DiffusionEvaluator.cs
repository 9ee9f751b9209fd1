using MMInterp.Kernels.ShapesWorld;
using MMInterp.Kernels.Tensors;
using TorchSharp;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Models.Diffusion;

/// <summary>Generated images scored against their prompts, and the held-out denoising loss. Hooks attached to the
/// denoiser by the caller stay active, so ablations measure through the same code.</summary>
public static class DiffusionEvaluator
{
    /// <summary>Prompts: full captions of held-out single-object scenes (seed, 0..count-1).</summary>
    public static IReadOnlyList<Scene> PromptScenes(int imageSize, long seed, int count)
    {
        var world = new ShapesWorldGenerator(ShapesWorldConfig.SingleObject(imageSize));
        return Enumerable.Range(0, count).Select(i => world.Scene(seed, i)).ToList();
    }

    /// <summary>Generates one image per scene caption, [N, 3, S, S] in [0, 1] on the CPU. Batches are seeded by
    /// sampler seed + batch start, so the result depends only on the seed and the prompts.</summary>
    public static Tensor Generate(IZooDenoiser model, IReadOnlyList<string> prompts, SamplerOptions sampler, int batchSize = 64)
    {
        var device = model.Text.Device;
        var parts = new List<Tensor>();
        for (var start = 0; start < prompts.Count; start += batchSize)
        {
            using var scope = NewDisposeScope();
            var chunk = prompts.Skip(start).Take(batchSize).ToList();
            var text = model.Text.Encode(chunk, device);
            var nullText = model.Text.Encode(Enumerable.Repeat(TextConditioner.Null, chunk.Count).ToList(), device);
            var images = model.Sample(text, nullText, sampler with { Seed = sampler.Seed + start });
            parts.Add(images.cpu().DetachFromDisposeScope());
        }
        var all = cat(parts, 0);
        foreach (var p in parts) p.Dispose();
        Scalars.Release();
        return all;
    }

    /// <summary>Share of images whose classified attribute equals the scene's, per attribute.</summary>
    public static Dictionary<ObjectAttribute, double> Score(AttributeClassifier classifier, Tensor images, IReadOnlyList<Scene> scenes)
    {
        using var scope = NewDisposeScope();
        var device = classifier.parameters().First().device;
        var predicted = classifier.Predict(images.to(device));
        return AttributeClassifier.Attributes.ToDictionary(a => a, a =>
        {
            var truth = tensor(scenes.Select(s => (long)s.Objects[0].Value(a)).ToArray(), device: device);
            return predicted[a].eq(truth).to_type(ScalarType.Float32).mean().item<float>() * 1.0;
        });
    }

    /// <summary>Generated-image accuracy per attribute on the held-out split's prompts (the model's <see cref="IZooDenoiser.EvalSeed"/>).</summary>
    public static Dictionary<ObjectAttribute, double> PromptAccuracy(IZooDenoiser model, int images, long samplerSeed, out Tensor generated, out IReadOnlyList<Scene> scenes)
    {
        scenes = PromptScenes(model.ImageSize, model.EvalSeed, images);
        generated = Generate(model, scenes.Select(Captions.Describe).ToList(), model.Sampler(samplerSeed));
        return Score(model.Classifier, generated, scenes);
    }

    /// <summary>Mean error of the model's training loss (the DiT's velocity, the U-Net's noise) on held-out real images at
    /// stratified noise levels and seeded noise, with a given caption policy: true captions, or the null caption.</summary>
    public static double DenoisingLoss(IZooDenoiser model, long seed, int images, bool withCaptions = true, int batchSize = 64)
    {
        var device = model.Text.Device;
        var world = new ShapesWorldGenerator(ShapesWorldConfig.SingleObject(model.ImageSize));
        using var _ = no_grad();
        double total = 0;
        for (var start = 0; start < images; start += batchSize)
        {
            using var scope = NewDisposeScope();
            var n = Math.Min(batchSize, images - start);
            using var batch = world.Batch(seed, start, n, device);
            var generator = new Generator((ulong)(seed + start), device);
            // Stratified noise levels so every batch covers the whole schedule.
            var t = (arange(n, dtype: ScalarType.Float32, device: device) + rand([n], generator: generator, device: device)) / Scalars.S((double)n);
            var x0 = model.CleanInput(batch.Images);
            var eps = randn(x0.shape, generator: generator, device: device);
            var captions = withCaptions ? batch.Scenes.Select(Captions.Describe).ToList() : Enumerable.Repeat(TextConditioner.Null, n).ToList();
            var loss = model.LossPerImage(x0, t, eps, model.Text.Encode(captions, device));
            total += loss.sum().item<float>();
        }
        Scalars.Release();
        return total / images;
    }

    /// <summary>All metrics of a freshly trained or loaded model.</summary>
    public static DiffusionMetrics Evaluate(IZooDenoiser model, IReadOnlyDictionary<ObjectAttribute, double> classifierHeldOut, int images)
    {
        var accuracy = PromptAccuracy(model, images, model.EvalSeed, out var generated, out var scenes);
        using (generated)
        {
            // Control: the same images against another prompt's attributes (a rotation keeps the label marginals).
            var rotated = scenes.Skip(1).Concat(scenes.Take(1)).ToList();
            var shuffled = Score(model.Classifier, generated, rotated);
            var loss = DenoisingLoss(model, model.EvalSeed + 1, Math.Min(256, images));
            return new DiffusionMetrics(
                accuracy[ObjectAttribute.Colour], accuracy[ObjectAttribute.Shape], accuracy[ObjectAttribute.Position],
                accuracy[ObjectAttribute.Size], accuracy[ObjectAttribute.Fill],
                shuffled[ObjectAttribute.Colour], shuffled[ObjectAttribute.Shape], shuffled[ObjectAttribute.Position],
                classifierHeldOut[ObjectAttribute.Colour], classifierHeldOut[ObjectAttribute.Shape], classifierHeldOut[ObjectAttribute.Position],
                classifierHeldOut[ObjectAttribute.Size], classifierHeldOut[ObjectAttribute.Fill], loss, images);
        }
    }
}
