using MMInterp.Kernels.Extraction;
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
    /// every feature, and per feature its token density and mean nonzero activation, all over the selected
    /// <paramref name="tokens"/>.</summary>
    public static FeatureActivationSet Compute(ClipModel model, ISparseAutoencoder sae, string hook, ShapesWorldGenerator world,
        long seed, int images, int batchSize = 64, Device? device = null, TokenSelection tokens = TokenSelection.All)
    {
        HookLatents.CheckHook(model, hook);
        if (images < 2) throw new ArgumentException($"images must be at least 2, got {images}", nameof(images));
        if (batchSize < 1) throw new ArgumentException($"batchSize must be positive, got {batchSize}", nameof(batchSize));
        if (world.Config.ImageSize != model.Config.Vision.ImageSize)
            throw new ArgumentException($"the world draws {world.Config.ImageSize}px images but the model takes {model.Config.Vision.ImageSize}px", nameof(world));
        var dev = device ?? model.LogitScale.device;
        var scenes = new List<Scene>(images);
        var batches = Enumerable.Range(0, (images + batchSize - 1) / batchSize).Select(b =>
        {
            var start = b * batchSize;
            var batch = world.Batch(seed, start, Math.Min(batchSize, images - start), dev);
            scenes.AddRange(batch.Scenes);
            return (batch.Images, (IDisposable?)batch);
        });
        var set = Accumulate(model, sae, hook, images, batches, tokens: tokens);
        return new FeatureActivationSet
        {
            Hook = hook, World = world, Scenes = scenes, MaxPerImage = set.MaxPerImage, TokensPerImage = set.TokensPerImage,
            TokenDensity = set.TokenDensity, MeanNonzero = set.MeanNonzero,
        };
    }

    /// <summary>The statistics of <see cref="Compute"/> over any images: <paramref name="batches"/> yields pixel batches
    /// [n, 3, H, W] on the model's device, <paramref name="images"/> in all, each with what to dispose after it is
    /// encoded. <paramref name="perBatch"/> sees each batch's activation at the hook [n, T, ..., d] (for pooled means).</summary>
    public static FeatureActivationSet Accumulate(ClipModel model, ISparseAutoencoder sae, string hook, int images,
        IEnumerable<(Tensor Images, IDisposable? Owner)> batches, Action<Tensor>? perBatch = null, TokenSelection tokens = TokenSelection.All)
    {
        HookLatents.CheckHook(model, hook);
        if (images < 2) throw new ArgumentException($"images must be at least 2, got {images}", nameof(images));
        var m = sae.Config.DSae;
        var max = new float[images, m];
        var nonzero = new long[m];
        var sums = new double[m];
        var tokenCount = 0;
        var done = 0;
        var wasTraining = model.training;
        model.eval();
        try
        {
            foreach (var (pixels, owner) in batches)
            {
                using var scope = NewDisposeScope();
                using var _ = owner;
                var n = (int)pixels.shape[0];
                if (done + n > images) throw new ArgumentException($"the batches hold more than the {images} images announced", nameof(batches));
                var z = HookLatents.Encode(model, sae, hook, pixels, perBatch, tokens); // [n, T, m], T the selected tokens
                tokenCount = (int)z.shape[1];
                var perImage = z.amax(1).cpu().contiguous().data<float>().ToArray();
                for (var i = 0; i < n; i++)
                    for (var f = 0; f < m; f++) max[done + i, f] = perImage[i * m + f];
                var flat = z.reshape(-1, m);
                var counts = flat.gt(S(0.0)).to(int64).sum([0]).cpu().data<long>().ToArray();
                var totals = flat.sum([0]).to(float64).cpu().data<double>().ToArray();
                for (var f = 0; f < m; f++) { nonzero[f] += counts[f]; sums[f] += totals[f]; }
                done += n;
            }
        }
        finally
        {
            model.train(wasTraining);
            Release();
        }
        if (done != images) throw new ArgumentException($"the batches hold {done} images, not the {images} announced", nameof(batches));
        var totalTokens = (double)images * tokenCount;
        return new FeatureActivationSet
        {
            Hook = hook, MaxPerImage = max, TokensPerImage = tokenCount,
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
            var all = z.cpu().data<float>().ToArray();
            return Enumerable.Range(0, scenes.Count).Select(i => all.AsSpan(i * t, t).ToArray()).ToArray();
        }
        finally
        {
            model.train(wasTraining);
        }
    }
}
