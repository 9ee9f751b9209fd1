using MMInterp.Kernels.Extraction;
using MMInterp.Kernels.Interp.Features;
using MMInterp.Kernels.Models.Clip;
using MMInterp.Kernels.Sae;
using MMInterp.Kernels.ShapesWorld;
using Sc = MMInterp.Kernels.Tensors.Scalars;
using static TorchSharp.torch;

/// <summary>
/// The ceiling of every per-feature figure at one layer: a dictionary with one feature per concept, each a linear
/// read-out trained with the labels (multiple-instance: an image is positive when the max over its tokens of the
/// read-out is), so a feature is the best single direction for its concept that the layer holds. Its decoder row
/// w / |w|^2 moves the read-out by one unit per unit of activation, so zeroing it takes the concept's read-out back to
/// its threshold. A scratch control for the issue-18 study, not a method of the platform.
/// </summary>
static class SupervisedDictionary
{
    /// <returns>the dictionary and the concept each of its features reads</returns>
    public static (SparseAutoencoder Sae, IReadOnlyList<string> Concepts) Train(ClipModel model, string hook, TokenSelection tokens, int images, int steps, Action<string> log)
    {
        var world = new ShapesWorldGenerator(new ShapesWorldConfig { ImageSize = 32, OverlayRate = 0.3, AttackRate = 0.5 });
        var rows = ClipActivationExtractor.Extract(model, world, seed: ShapesSplits.Train, start: 0, count: images, [hook], tokens: tokens)[hook];
        var scenes = new List<Scene>(images);
        for (var s = 0; s < images; s += 256) { using var b = world.Batch(ShapesSplits.Train, s, Math.Min(256, images - s)); scenes.AddRange(b.Scenes); }
        var concepts = ConceptSet.FromScenes(scenes);
        int n = images, c = concepts.Concepts.Count, d = (int)rows.shape[1], t = (int)rows.shape[0] / n;
        var labelData = new float[n * c];
        for (var i = 0; i < n; i++) for (var k = 0; k < c; k++) labelData[i * c + k] = concepts.Labels[i, k] ? 1f : 0f;

        var mean = rows.mean([0L]); var std = rows.std(0L) + Sc.S(1e-6);
        var x = ((rows - mean) / std).reshape(n, t, d);
        var y = tensor(labelData).reshape(n, c);
        var pos = y.sum(0L); var neg = Sc.S((double)n) - pos;
        var posWeight = (neg / pos.clamp_min(Sc.S(1.0))).clamp(Sc.S(1.0), Sc.S(50.0));
        // Gradients by hand and Adam: the loss has a closed-form gradient. Run with MALLOC_MMAP_THRESHOLD_=131072: glibc's
        // heap grew by each step's [n, t, c] temporaries (to 23 GB at 1536 images) although every one is freed.
        var w = randn(d, c, generator: new TorchSharp.torch.Generator(7)) * Sc.S(0.01);
        var bias = zeros(c);
        Tensor mw = zeros(d, c), vw = zeros(d, c), mb = zeros(c), vb = zeros(c);
        const double tau = 0.25, lr = 0.02, b1 = 0.9, b2 = 0.999; // a soft max over tokens: every token of a positive image gets some gradient early on
        var xFlat = x.reshape(n * t, d);
        for (var step = 1; step <= steps; step++)
        {
            using var scope = NewDisposeScope();
            var s = (x.matmul(w) + bias) / Sc.S(tau);                   // [n, t, c]
            var pooled = s.logsumexp(1) * Sc.S(tau);                    // [n, c]
            var soft = s.softmax(1);                                     // d pooled / d score
            var sig = pooled.sigmoid();
            // d/dp of BCE with pos weight pw: sig*(1 + (pw-1)y) - pw*y, mean over n*c entries
            var g = (sig * (Sc.S(1.0) + (posWeight - Sc.S(1.0)) * y) - posWeight * y) / Sc.S((double)(n * c));
            var gs = soft * g.unsqueeze(1);                              // [n, t, c]
            var gw = xFlat.t().matmul(gs.reshape(n * t, c));
            var gb = g.sum(0L);
            mw.mul_(Sc.S(b1)).add_(gw * Sc.S(1 - b1)); vw.mul_(Sc.S(b2)).add_(gw.pow(2) * Sc.S(1 - b2));
            mb.mul_(Sc.S(b1)).add_(gb * Sc.S(1 - b1)); vb.mul_(Sc.S(b2)).add_(gb.pow(2) * Sc.S(1 - b2));
            double c1 = 1 - Math.Pow(b1, step), c2 = 1 - Math.Pow(b2, step);
            w.sub_(mw / Sc.S(c1) / ((vw / Sc.S(c2)).sqrt() + Sc.S(1e-8)) * Sc.S(lr));
            bias.sub_(mb / Sc.S(c1) / ((vb / Sc.S(c2)).sqrt() + Sc.S(1e-8)) * Sc.S(lr));
            if (step % Math.Max(1, steps / 4) == 0 || step == 1)
            {
                var loss = nn.functional.binary_cross_entropy_with_logits(pooled, y, pos_weights: posWeight);
                log($"supervised dictionary step {step}: loss {loss.item<float>():F4} rss {System.Diagnostics.Process.GetCurrentProcess().WorkingSet64 >> 20} MB");
            }
        }
        // Back to raw activations: w.((x - mean)/std) + b = (w/std).x + (b - (w/std).mean).
        using var _ = no_grad();
        var wRaw = w / std.unsqueeze(1);                        // [d, c]
        var bRaw = bias - mean.matmul(wRaw);
        var dec = (wRaw / wRaw.pow(2).sum(0L, keepdim: true)).t();       // [c, d]
        var sae = new ReluSae(new SaeConfig { Kind = SaeKind.Relu, DIn = d, DSae = c, PreEncoderBias = false, UnitNormDecoder = false });
        sae.W_enc.copy_(wRaw); sae.b_enc.copy_(bRaw); sae.W_dec.copy_(dec); sae.b_dec.zero_();
        log($"supervised dictionary: {c} concept read-outs at {hook} ({tokens}), {n} training images x {t} tokens");
        return (sae, concepts.Concepts.Select(x => x.Name).ToList());
    }

    /// <summary>Linear erasure of every written-word read-out of <paramref name="readOuts"/>: an orthonormal basis U of
    /// their span as 2r features (+u and -u, ReLU), so suppressing them all takes x to x - U U^T x (or, with the
    /// clean-mean suppression, to the clean images' projection): the most a defence at this layer can take away along
    /// the directions that detect the words.</summary>
    public static SparseAutoencoder WordSubspace((SparseAutoencoder Sae, IReadOnlyList<string> Concepts) readOuts, Action<string> log)
    {
        using var _ = no_grad();
        var words = readOuts.Concepts.Select((n, i) => (n, i)).Where(p => p.n.StartsWith("word=", StringComparison.Ordinal)).Select(p => (long)p.i).ToArray();
        var w = readOuts.Sae.W_enc.index_select(1, tensor(words));           // [d, r]
        var (q, _) = linalg.qr(w);                                         // [d, r] orthonormal
        int d = (int)q.shape[0], r = (int)q.shape[1];
        var enc = cat([q, -q], 1);                                         // [d, 2r]
        var sae = new ReluSae(new SaeConfig { Kind = SaeKind.Relu, DIn = d, DSae = 2 * r, PreEncoderBias = false, UnitNormDecoder = false });
        sae.W_enc.copy_(enc); sae.b_enc.zero_(); sae.W_dec.copy_(enc.t()); sae.b_dec.zero_();
        log($"word subspace: {r} word read-outs -> {2 * r} features (+u, -u)");
        return sae;
    }
}
