using MMInterp.Kernels.Models.Diffusion;
using MMInterp.Kernels.Models.StableDiffusion;
using MMInterp.Kernels.ShapesWorld;
using MMInterp.Kernels.Tensors;
using TorchSharp;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Models.ZooUNet;

/// <summary>The zoo U-Net judged as the zoo DiT is (<see cref="DiffusionEvaluator"/>): images generated from held-out
/// captions, read by the attribute classifier, beside the same images scored against another prompt's attributes.</summary>
public static class UNetZooEvaluator
{
    /// <summary>One image per caption, [N, 3, S, S] in [0, 1] on the CPU; batches seeded by seed + batch start.</summary>
    public static Tensor Generate(UNet2DConditionModel unet, TextConditioner text, IReadOnlyList<string> prompts, int steps, double guidance, long seed, int batchSize = 64)
    {
        var device = text.Clip.LogitScale.device;
        var parts = new List<Tensor>();
        for (var start = 0; start < prompts.Count; start += batchSize)
        {
            using var scope = NewDisposeScope();
            var chunk = prompts.Skip(start).Take(batchSize).ToList();
            var cond = text.Encode(chunk, device);
            var nullCond = text.Encode(Enumerable.Repeat(TextConditioner.Null, chunk.Count).ToList(), device);
            parts.Add(UNetZooSampler.Sample(unet, cond, nullCond, steps, guidance, seed + start).cpu().DetachFromDisposeScope());
        }
        var all = cat(parts, 0);
        foreach (var p in parts) p.Dispose();
        Scalars.Release();
        return all;
    }

    /// <summary>Mean noise-prediction error on real images of <paramref name="seed"/> at stratified timesteps (seeded).</summary>
    public static double DenoisingLoss(UNet2DConditionModel unet, TextConditioner text, int imageSize, long seed, int images, int batchSize = 64)
    {
        var device = text.Clip.LogitScale.device;
        var world = new ShapesWorldGenerator(ShapesWorldConfig.SingleObject(imageSize));
        using var noising = new UNetNoising(device);
        using var _ = no_grad();
        double total = 0;
        for (var start = 0; start < images; start += batchSize)
        {
            using var scope = NewDisposeScope();
            var n = Math.Min(batchSize, images - start);
            using var batch = world.Batch(seed, start, n, device);
            var generator = new Generator((ulong)(seed + start), device);
            var t = (arange(n, dtype: ScalarType.Float32, device: device) + rand([n], generator: generator, device: device))
                .mul(Scalars.S((double)noising.TrainTimesteps / n)).to_type(ScalarType.Int64).clamp(Scalars.S(0L), Scalars.S((long)noising.TrainTimesteps - 1));
            var eps = randn(batch.Images.shape, generator: generator, device: device);
            var loss = noising.LossPerImage(unet, FlowMatching.ToModelSpace(batch.Images), t, eps, text.Encode(batch.Scenes.Select(Captions.Describe).ToList(), device));
            total += loss.sum().item<float>();
        }
        Scalars.Release();
        return total / images;
    }

    /// <summary>Generated-image accuracy per attribute on captions of <paramref name="promptSeed"/>'s scenes, with the
    /// rotated-prompt control, the classifier's own accuracy on real images and the held-out denoising loss.</summary>
    public static DiffusionMetrics Evaluate(UNet2DConditionModel unet, TextConditioner text, AttributeClassifier classifier,
        IReadOnlyDictionary<ObjectAttribute, double> classifierHeldOut, UNetZooConfig c, long promptSeed)
    {
        var scenes = DiffusionEvaluator.PromptScenes(c.ImageSize, promptSeed, c.EvalImages);
        using var generated = Generate(unet, text, scenes.Select(Captions.Describe).ToList(), c.SampleSteps, c.Guidance, promptSeed);
        var accuracy = DiffusionEvaluator.Score(classifier, generated, scenes);
        var shuffled = DiffusionEvaluator.Score(classifier, generated, scenes.Skip(1).Concat(scenes.Take(1)).ToList());
        var loss = DenoisingLoss(unet, text, c.ImageSize, promptSeed + 1, Math.Min(256, c.EvalImages));
        return new DiffusionMetrics(
            accuracy[ObjectAttribute.Colour], accuracy[ObjectAttribute.Shape], accuracy[ObjectAttribute.Position],
            accuracy[ObjectAttribute.Size], accuracy[ObjectAttribute.Fill],
            shuffled[ObjectAttribute.Colour], shuffled[ObjectAttribute.Shape], shuffled[ObjectAttribute.Position],
            classifierHeldOut[ObjectAttribute.Colour], classifierHeldOut[ObjectAttribute.Shape], classifierHeldOut[ObjectAttribute.Position],
            classifierHeldOut[ObjectAttribute.Size], classifierHeldOut[ObjectAttribute.Fill], loss, c.EvalImages);
    }
}
