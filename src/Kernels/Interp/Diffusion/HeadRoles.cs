using MMInterp.Kernels.Extraction;
using MMInterp.Kernels.Hooks;
using MMInterp.Kernels.Models.Diffusion;
using MMInterp.Kernels.Probes;
using MMInterp.Kernels.ShapesWorld;
using MMInterp.Kernels.Tensors;
using TorchSharp;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Interp.Diffusion;

public enum HeadRole { Edge, Texture, Semantic, Composition }

/// <summary>A head's measured signals and the role they point to. Edge: correlation of the head's output norm per token
/// with the object's boundary patches; texture: with high-frequency energy inside the object; semantic: how well its
/// object-pooled output decodes colour and shape (0 chance, 1 perfect); composition: the same for position from its
/// image-wide mean.</summary>
public sealed record HeadSignals(string Kind, int Block, int Head, double Edge, double Texture, double Semantic, double Composition, HeadRole Role);

public sealed record HeadRoleConfig
{
    public double T { get; init; } = 0.5;
    public int TrainImages { get; init; } = 256;
    public int TestImages { get; init; } = 128;
    public long Seed { get; init; } = 6_000_011;
    public int ProbeSteps { get; init; } = 120;

    public HeadRoleConfig Validate()
    {
        if (!(T >= 0 && T <= 1)) throw new ArgumentException($"T must be in [0, 1], got {T}", nameof(T));
        if (TrainImages < 16 || TestImages < 16) throw new ArgumentException("TrainImages and TestImages must be at least 16", nameof(TrainImages));
        if (ProbeSteps < 1) throw new ArgumentException($"ProbeSteps must be positive, got {ProbeSteps}", nameof(ProbeSteps));
        return this;
    }
}

/// <summary>Classifies every self- and cross-attention head by role from measurable signals on noised held-out images
/// (true captions). Each signal is standardised across heads and the largest names the role.</summary>
public static class HeadRoles
{
    public static IReadOnlyList<HeadSignals> Classify(IZooDenoiser model, HeadRoleConfig config)
    {
        var c = config.Validate();
        var device = model.Text.Device;
        var n = c.TrainImages + c.TestImages;
        var world = new ShapesWorldGenerator(ShapesWorldConfig.SingleObject(model.ImageSize));
        var sites = model.AttentionSites;
        var norms = sites.ToDictionary(h => h, _ => new List<Tensor>());
        var objectPooled = sites.ToDictionary(h => h, _ => new List<Tensor>());
        var meanPooled = sites.ToDictionary(h => h, _ => new List<Tensor>());
        // Per patch size (a U-Net's levels have different grids): the boundary and texture signals of each batch.
        var edges = new Dictionary<int, List<Tensor>>();
        var texture = new Dictionary<int, List<Tensor>>();
        var patchOf = new Dictionary<AttentionSite, int>();
        using (no_grad())
        {
            for (var start = 0; start < n; start += 64)
            {
                using var scope = NewDisposeScope();
                var b = Math.Min(64, n - start);
                using var batch = world.Batch(c.Seed, start, b, device);
                var x0 = model.CleanInput(batch.Images);
                var eps = randn(x0.shape, generator: new Generator((ulong)(c.Seed + start), device), device: device);
                var tt = full([b], Scalars.S(c.T), device: device);
                using var cache = new ActivationCache();
                using (model.Hooks.Scope())
                {
                    foreach (var site in sites) model.Hooks.Add(site.ZHook, Hook.Cache(cache));
                    model.Forward(model.Noise(x0, tt, eps), tt, model.Text.Encode(batch.Scenes.Select(Captions.Describe).ToList(), device));
                }
                foreach (var site in sites)
                {
                    var z = cache[site.ZHook]; // [B, T, H, dh]
                    var patch = patchOf[site] = TimestepActivations.Patch(model.ImageSize, z.shape[1], site.ZHook);
                    if (!edges.ContainsKey(patch)) { edges[patch] = []; texture[patch] = []; }
                    norms[site].Add(z.norm(-1).cpu().DetachFromDisposeScope()); // [B, T, H]
                    var pooled = TimestepActivations.PoolOverObject(z.flatten(2), batch.Mask, patch); // [B, 2*H*dh]
                    var d = z.shape[2] * z.shape[3];
                    objectPooled[site].Add(pooled.narrow(1, 0, d).cpu().DetachFromDisposeScope());
                    meanPooled[site].Add(pooled.narrow(1, d, d).cpu().DetachFromDisposeScope());
                }
                foreach (var patch in edges.Keys)
                {
                    if (edges[patch].Count > start / 64) continue;
                    var (edge, tex) = PatchSignals(batch, patch);
                    edges[patch].Add(edge.cpu().DetachFromDisposeScope());
                    texture[patch].Add(tex.cpu().DetachFromDisposeScope());
                }
            }
        }
        Scalars.Release();
        var allEdges = edges.ToDictionary(kv => kv.Key, kv => cat(kv.Value, 0).flatten());
        var allTexture = texture.ToDictionary(kv => kv.Key, kv => cat(kv.Value, 0).flatten());
        var scenes = DiffusionEvaluator.PromptScenes(model.ImageSize, c.Seed, n);
        using var colour = tensor(scenes.Select(s => (long)s.Objects[0].Colour).ToArray());
        using var shape = tensor(scenes.Select(s => (long)s.Objects[0].Shape).ToArray());
        using var position = tensor(scenes.Select(s => (long)s.Objects[0].Position).ToArray());
        var raw = new List<(string Kind, int Block, int Head, double Edge, double Texture, double Semantic, double Composition)>();
        foreach (var site in sites)
        {
            using var scope = NewDisposeScope();
            var norm = cat(norms[site], 0); // [N, T, H]
            var obj = cat(objectPooled[site], 0);
            var mean = cat(meanPooled[site], 0);
            var dh = (int)(obj.shape[1] / site.Heads);
            for (var head = 0; head < site.Heads; head++)
            {
                var hn = norm.select(2, head).flatten();
                // Shape from the image-wide mean: pooling over the object's mask would hand its outline to the probe
                // (TemporalAnalysis.MaskHolds).
                var semantic = (Skill(obj.narrow(1, head * dh, dh), colour, AttributeWords.Colours.Length, c)
                    + Skill(mean.narrow(1, head * dh, dh), shape, AttributeWords.Shapes.Length, c)) / 2;
                var composition = Skill(mean.narrow(1, head * dh, dh), position, AttributeWords.Positions.Length, c);
                raw.Add((site.Kind, site.Block, head, Correlation(hn, allEdges[patchOf[site]]), Correlation(hn, allTexture[patchOf[site]]), semantic, composition));
            }
            foreach (var t in norms[site].Concat(objectPooled[site]).Concat(meanPooled[site])) t.Dispose();
        }
        foreach (var t in allEdges.Values.Concat(allTexture.Values).Concat(edges.Values.SelectMany(l => l)).Concat(texture.Values.SelectMany(l => l))) t.Dispose();
        // Standardise each signal across heads, so a role means "more of this than the other heads".
        double[] Z(Func<(string, int, int, double, double, double, double), double> f)
        {
            var v = raw.Select(f).ToArray();
            var m = v.Average();
            var sd = Math.Sqrt(v.Select(x => (x - m) * (x - m)).Average()) + 1e-9;
            return v.Select(x => (x - m) / sd).ToArray();
        }
        var ze = Z(r => r.Item4);
        var zt = Z(r => r.Item5);
        var zs = Z(r => r.Item6);
        var zc = Z(r => r.Item7);
        return raw.Select((r, k) =>
        {
            var scores = new[] { ze[k], zt[k], zs[k], zc[k] };
            var role = (HeadRole)Array.IndexOf(scores, scores.Max());
            return new HeadSignals(r.Kind, r.Block, r.Head, r.Edge, r.Texture, r.Semantic, r.Composition, role);
        }).ToList();
    }

    /// <summary>Per patch: the object's boundary (patch holds both object and other pixels) and the high-frequency energy of the
    /// clean image inside the object (stripes, dots), both [B, tokens].</summary>
    static (Tensor Edge, Tensor Texture) PatchSignals(ShapesBatch batch, int patch)
    {
        var onObject = batch.Mask.eq(Scalars.S(1L)).to_type(ScalarType.Float32).unsqueeze(1);
        var cover = nn.functional.avg_pool2d(onObject, patch).flatten(1);
        var edge = (cover * (Scalars.S(1.0) - cover) * Scalars.S(4.0));
        var blurred = nn.functional.avg_pool2d(batch.Images, 3, stride: 1, padding: 1, count_include_pad: false);
        var high = (batch.Images - blurred);
        var energy = (high * high).sum([1], keepdim: true) * onObject;
        var texture = nn.functional.avg_pool2d(energy, patch).flatten(1);
        return (edge, texture);
    }

    static double Correlation(Tensor a, Tensor b)
    {
        using var scope = NewDisposeScope();
        var x = a - a.mean();
        var y = b - b.mean();
        var denominator = (x * x).sum().sqrt() * (y * y).sum().sqrt() + Scalars.S(1e-12);
        return ((x * y).sum() / denominator).item<float>();
    }

    /// <summary>Held-out probe accuracy scaled so 0 is chance and 1 is perfect.</summary>
    static double Skill(Tensor features, Tensor labels, int classes, HeadRoleConfig c)
    {
        var accuracy = LinearProbe.TrainAndTest(features.narrow(0, 0, c.TrainImages), labels.narrow(0, 0, c.TrainImages),
            features.narrow(0, c.TrainImages, c.TestImages), labels.narrow(0, c.TrainImages, c.TestImages), classes,
            new LinearProbeOptions { Steps = c.ProbeSteps });
        var chance = 1.0 / classes;
        return (accuracy - chance) / (1 - chance);
    }
}
