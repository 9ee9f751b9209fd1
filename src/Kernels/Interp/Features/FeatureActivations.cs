using MMInterp.Kernels.Models.Clip;
using MMInterp.Kernels.Sae;
using MMInterp.Kernels.ShapesWorld;
using static MMInterp.Kernels.Tensors.Scalars;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Interp.Features;

/// <summary>Computes SAE feature activations over ShapesWorld images.</summary>
public static class FeatureActivations
{
    /// <summary>Images seed/0 .. seed/images-1 of <paramref name="world"/>, in batches; per image the max over tokens of
    /// every feature, and per feature its token density and mean nonzero activation.</summary>
    public static FeatureActivationSet Compute(ClipModel model, ISparseAutoencoder sae, string hook, ShapesWorldGenerator world,
        long seed, int images, int batchSize = 64, Device? device = null)
    {
        HookLatents.CheckHook(model, hook);
        if (images < 2) throw new ArgumentException($"images must be at least 2, got {images}", nameof(images));
        if (batchSize < 1) throw new ArgumentException($"batchSize must be positive, got {batchSize}", nameof(batchSize));
        if (world.Config.ImageSize != model.Config.Vision.ImageSize)
            throw new ArgumentException($"the world draws {world.Config.ImageSize}px images but the model takes {model.Config.Vision.ImageSize}px", nameof(world));
        var dev = device ?? model.LogitScale.device;
        var m = sae.Config.DSae;
        var max = new float[images, m];
        var nonzero = new long[m];
        var sums = new double[m];
        var scenes = new List<Scene>(images);
        var tokens = 0;
        var wasTraining = model.training;
        model.eval();
        try
        {
            for (var start = 0; start < images; start += batchSize)
            {
                var n = Math.Min(batchSize, images - start);
                using var scope = NewDisposeScope();
                using var batch = world.Batch(seed, start, n, dev);
                scenes.AddRange(batch.Scenes);
                var z = HookLatents.Encode(model, sae, hook, batch.Images); // [n, T, m]
                tokens = (int)z.shape[1];
                var perImage = z.amax(1).contiguous().data<float>().ToArray();
                for (var i = 0; i < n; i++)
                    for (var f = 0; f < m; f++) max[start + i, f] = perImage[i * m + f];
                var flat = z.reshape(-1, m);
                var counts = flat.gt(S(0.0)).to(int64).sum([0]).data<long>().ToArray();
                var totals = flat.sum([0]).to(float64).data<double>().ToArray();
                for (var f = 0; f < m; f++) { nonzero[f] += counts[f]; sums[f] += totals[f]; }
            }
        }
        finally
        {
            model.train(wasTraining);
            Release();
        }
        var totalTokens = (double)images * tokens;
        return new FeatureActivationSet
        {
            Hook = hook, World = world, Scenes = scenes, MaxPerImage = max, TokensPerImage = tokens,
            TokenDensity = nonzero.Select(c => c / totalTokens).ToArray(),
            MeanNonzero = nonzero.Select((c, f) => c == 0 ? 0 : sums[f] / c).ToArray(),
        };
    }

    /// <summary>One feature's activation on every token of the given scenes: [scenes][tokens], token 0 the class token,
    /// then patches row by row (for heatmaps).</summary>
    public static float[][] TokenActivations(ClipModel model, ISparseAutoencoder sae, string hook, ShapesWorldGenerator world,
        IReadOnlyList<Scene> scenes, int feature, Device? device = null)
    {
        HookLatents.CheckHook(model, hook);
        if (feature < 0 || feature >= sae.Config.DSae) throw new ArgumentException($"feature {feature} out of range: the SAE has {sae.Config.DSae} features", nameof(feature));
        if (scenes.Count == 0) return [];
        using var scope = NewDisposeScope();
        var wasTraining = model.training;
        model.eval();
        try
        {
            using var batch = world.Batch(scenes, device ?? model.LogitScale.device);
            var z = HookLatents.Encode(model, sae, hook, batch.Images).select(2, feature).contiguous(); // [B, T]
            var t = (int)z.shape[1];
            var all = z.data<float>().ToArray();
            return Enumerable.Range(0, scenes.Count).Select(i => all.AsSpan(i * t, t).ToArray()).ToArray();
        }
        finally
        {
            model.train(wasTraining);
        }
    }
}
