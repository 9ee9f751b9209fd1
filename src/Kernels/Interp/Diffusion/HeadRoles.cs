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
    public static IReadOnlyList<HeadSignals> Classify(DiffusionBundle bundle, HeadRoleConfig config)
    {
        var c = config.Validate();
        var model = bundle.Denoiser;
        var dc = model.Config;
        var device = bundle.Text.Clip.LogitScale.device;
        var n = c.TrainImages + c.TestImages;
        var world = new ShapesWorldGenerator(ShapesWorldConfig.SingleObject(dc.ImageSize));
        var hooks = Enumerable.Range(0, model.Layers).SelectMany(i => new[] { ("attn", i), ("cross_attn", i) }).ToList();
        var norms = hooks.ToDictionary(h => h, _ => new List<Tensor>());
        var objectPooled = hooks.ToDictionary(h => h, _ => new List<Tensor>());
        var meanPooled = hooks.ToDictionary(h => h, _ => new List<Tensor>());
        var edges = new List<Tensor>();
        var texture = new List<Tensor>();
        using (no_grad())
        {
            for (var start = 0; start < n; start += 64)
            {
                using var scope = NewDisposeScope();
                var b = Math.Min(64, n - start);
                using var batch = world.Batch(c.Seed, start, b, device);
                var x0 = FlowMatching.ToModelSpace(batch.Images);
                var eps = randn(x0.shape, generator: new Generator((ulong)(c.Seed + start), device), device: device);
                var tt = full([b], Scalars.S(c.T), device: device);
                using var cache = new ActivationCache();
                using (model.Hooks.Scope())
                {
                    foreach (var (kind, i) in hooks) model.Hooks.Add($"denoiser.blocks.{i}.{kind}.hook_z", Hook.Cache(cache));
                    model.Forward(FlowMatching.Noise(x0, tt, eps), tt, bundle.Text.Encode(batch.Scenes.Select(Captions.Describe).ToList(), device));
                }
                var (edge, tex) = PatchSignals(batch, dc.PatchSize);
                edges.Add(edge.cpu().DetachFromDisposeScope());
                texture.Add(tex.cpu().DetachFromDisposeScope());
                foreach (var h in hooks)
                {
                    var z = cache[$"denoiser.blocks.{h.Item2}.{h.Item1}.hook_z"]; // [B, T, H, dh]
                    norms[h].Add(z.norm(-1).cpu().DetachFromDisposeScope()); // [B, T, H]
                    var pooled = TimestepActivations.PoolOverObject(z.flatten(2), batch.Mask, dc.PatchSize); // [B, 2*H*dh]
                    var d = z.shape[2] * z.shape[3];
                    objectPooled[h].Add(pooled.narrow(1, 0, d).cpu().DetachFromDisposeScope());
                    meanPooled[h].Add(pooled.narrow(1, d, d).cpu().DetachFromDisposeScope());
                }
            }
        }
        Scalars.Release();
        using var allEdges = cat(edges, 0).flatten();
        using var allTexture = cat(texture, 0).flatten();
        var scenes = DiffusionEvaluator.PromptScenes(dc.ImageSize, c.Seed, n);
        using var colour = tensor(scenes.Select(s => (long)s.Objects[0].Colour).ToArray());
        using var shape = tensor(scenes.Select(s => (long)s.Objects[0].Shape).ToArray());
        using var position = tensor(scenes.Select(s => (long)s.Objects[0].Position).ToArray());
        var raw = new List<(string Kind, int Block, int Head, double Edge, double Texture, double Semantic, double Composition)>();
        foreach (var h in hooks)
        {
            using var scope = NewDisposeScope();
            var norm = cat(norms[h], 0); // [N, T, H]
            var obj = cat(objectPooled[h], 0);
            var mean = cat(meanPooled[h], 0);
            var dh = dc.HeadDim;
            for (var head = 0; head < dc.Heads; head++)
            {
                var hn = norm.select(2, head).flatten();
                var semantic = (Skill(obj.narrow(1, head * dh, dh), colour, AttributeWords.Colours.Length, c)
                    + Skill(obj.narrow(1, head * dh, dh), shape, AttributeWords.Shapes.Length, c)) / 2;
                var composition = Skill(mean.narrow(1, head * dh, dh), position, AttributeWords.Positions.Length, c);
                raw.Add((h.Item1, h.Item2, head, Correlation(hn, allEdges), Correlation(hn, allTexture), semantic, composition));
            }
            foreach (var t in norms[h].Concat(objectPooled[h]).Concat(meanPooled[h])) t.Dispose();
        }
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
