using MMInterp.Kernels.Hooks;
using MMInterp.Kernels.Models.Diffusion;
using MMInterp.Kernels.ShapesWorld;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Interp.Diffusion;

/// <summary>One ablation: what is removed, and how to attach it to the denoiser's hooks.</summary>
public sealed record Ablation(string Name, string Kind, int Block, int Head, Action<HookRegistry> Attach)
{
    public static Ablation None { get; } = new("none", "none", -1, -1, _ => { });

    /// <summary>Skips blocks (indices into <see cref="IZooDenoiser.Blocks"/>): each passes its input through unchanged.</summary>
    public static Ablation OfBlocks(IZooDenoiser model, IReadOnlyList<int> blocks, string? name = null)
    {
        var all = model.Blocks;
        foreach (var i in blocks)
            if (i < 0 || i >= all.Count) throw new ArgumentException($"block {i} is not one of the denoiser's {all.Count} blocks", nameof(blocks));
        return new(name ?? string.Join("+", blocks.Select(i => all[i].Name)), "block", blocks.Count == 1 ? blocks[0] : -1, -1, hooks =>
        {
            // In forward order, so a skipped block's input is already what the earlier skips produced.
            foreach (var i in blocks.Order())
            {
                Tensor? input = null;
                hooks.Add(all[i].InputHook, (x, _) => { input = x; return x; });
                hooks.Add(all[i].OutputHook, (x, _) => input ?? throw new InvalidOperationException($"{all[i].Name} ran before its input was seen"));
            }
        });
    }

    /// <summary>Zero-ablates one head of an attention layer.</summary>
    public static Ablation OfHead(AttentionSite site, int head) => head >= 0 && head < site.Heads
        ? new($"{site.Kind} {site.Block}.{head}", site.Kind, site.Block, head, hooks => hooks.Add(site.ZHook, Hook.Zero(head)))
        : throw new ArgumentException($"head {head} is not one of the {site.Heads} heads of {site.ZHook}", nameof(head));
}

public sealed record AblationConfig
{
    /// <summary>Generated images scored per ablation (held-out prompts, fixed sampler seed).</summary>
    public int Images { get; init; } = 64;
    /// <summary>Euler steps per sample (fewer than the zoo default keeps a sweep over every head affordable).</summary>
    public int SampleSteps { get; init; } = 10;
    /// <summary>Held-out real images for the denoising loss.</summary>
    public int LossImages { get; init; } = 128;
    public long Seed { get; init; } = 5_000_011;
    public bool Heads { get; init; } = true;

    public AblationConfig Validate()
    {
        if (Images < 8) throw new ArgumentException($"Images must be at least 8, got {Images}", nameof(Images));
        if (SampleSteps < 1) throw new ArgumentException($"SampleSteps must be positive, got {SampleSteps}", nameof(SampleSteps));
        if (LossImages < 8) throw new ArgumentException($"LossImages must be at least 8, got {LossImages}", nameof(LossImages));
        return this;
    }
}

/// <summary>An ablation's effect: denoising loss and generated-image accuracy, and their change against no ablation.</summary>
public sealed record AblationEffect(string Name, string Kind, int Block, int Head, double Loss, IReadOnlyDictionary<ObjectAttribute, double> Accuracy,
    double LossIncrease, double RelativeLossIncrease, double ColourDrop, double PositionDrop, double ShapeDrop);

public sealed record AblationResult(AblationEffect Baseline, IReadOnlyList<AblationEffect> Effects, double RankAgreement);

/// <summary>Head and layer ablations measured two ways (DESIGN §9): held-out denoising loss increase and the drop in
/// generated-image attribute accuracy, with the Spearman correlation of the two rankings.</summary>
public static class DiffusionAblation
{
    public static (double Loss, Dictionary<ObjectAttribute, double> Accuracy) Measure(IZooDenoiser model, Ablation ablation, AblationConfig config)
    {
        var c = config.Validate();
        using (model.Hooks.Scope())
        {
            ablation.Attach(model.Hooks);
            var loss = DiffusionEvaluator.DenoisingLoss(model, c.Seed, c.LossImages);
            var scenes = DiffusionEvaluator.PromptScenes(model.ImageSize, c.Seed + 1, c.Images);
            using var images = DiffusionEvaluator.Generate(model, scenes.Select(Captions.Describe).ToList(), model.Sampler(c.Seed) with { Steps = c.SampleSteps });
            return (loss, DiffusionEvaluator.Score(model.Classifier, images, scenes));
        }
    }

    /// <summary>The standard set: every block, all blocks together, and (when configured) every head of every attention.</summary>
    public static IReadOnlyList<Ablation> Standard(IZooDenoiser model, bool heads)
    {
        var blocks = model.Blocks.Count;
        var list = new List<Ablation>();
        for (var i = 0; i < blocks; i++) list.Add(Ablation.OfBlocks(model, [i]));
        list.Add(Ablation.OfBlocks(model, Enumerable.Range(0, blocks).ToList(), "all blocks"));
        if (heads)
            foreach (var site in model.AttentionSites)
                for (var h = 0; h < site.Heads; h++) list.Add(Ablation.OfHead(site, h));
        return list;
    }

    public static AblationResult Run(IZooDenoiser bundle, AblationConfig config, IReadOnlyList<Ablation>? ablations = null, Action<double, string>? progress = null)
    {
        var list = ablations ?? Standard(bundle, config.Heads);
        var (baseLoss, baseAcc) = Measure(bundle, Ablation.None, config);
        var baseline = Effect(Ablation.None, baseLoss, baseAcc, baseLoss, baseAcc);
        var effects = new List<AblationEffect>();
        for (var k = 0; k < list.Count; k++)
        {
            progress?.Invoke((double)k / list.Count, list[k].Name);
            var (loss, acc) = Measure(bundle, list[k], config);
            effects.Add(Effect(list[k], loss, acc, baseLoss, baseAcc));
        }
        var agreement = Spearman(effects.Select(e => e.LossIncrease).ToList(), effects.Select(e => e.ColourDrop + e.PositionDrop + e.ShapeDrop).ToList());
        return new AblationResult(baseline, effects, agreement);
    }

    static AblationEffect Effect(Ablation a, double loss, IReadOnlyDictionary<ObjectAttribute, double> acc, double baseLoss, IReadOnlyDictionary<ObjectAttribute, double> baseAcc) =>
        new(a.Name, a.Kind, a.Block, a.Head, loss, acc, loss - baseLoss, (loss - baseLoss) / baseLoss,
            baseAcc[ObjectAttribute.Colour] - acc[ObjectAttribute.Colour], baseAcc[ObjectAttribute.Position] - acc[ObjectAttribute.Position],
            baseAcc[ObjectAttribute.Shape] - acc[ObjectAttribute.Shape]);

    /// <summary>Spearman rank correlation (average ranks for ties); NaN with fewer than three values.</summary>
    public static double Spearman(IReadOnlyList<double> a, IReadOnlyList<double> b)
    {
        if (a.Count != b.Count) throw new ArgumentException("Spearman needs equal-length series");
        if (a.Count < 3) return double.NaN;
        var ra = Ranks(a);
        var rb = Ranks(b);
        double ma = ra.Average(), mb = rb.Average(), cov = 0, va = 0, vb = 0;
        for (var i = 0; i < ra.Length; i++)
        {
            cov += (ra[i] - ma) * (rb[i] - mb);
            va += (ra[i] - ma) * (ra[i] - ma);
            vb += (rb[i] - mb) * (rb[i] - mb);
        }
        return va == 0 || vb == 0 ? double.NaN : cov / Math.Sqrt(va * vb);
    }

    static double[] Ranks(IReadOnlyList<double> v)
    {
        var order = Enumerable.Range(0, v.Count).OrderBy(i => v[i]).ToArray();
        var ranks = new double[v.Count];
        for (var i = 0; i < order.Length;)
        {
            var j = i;
            while (j + 1 < order.Length && v[order[j + 1]] == v[order[i]]) j++;
            for (var k = i; k <= j; k++) ranks[order[k]] = (i + j) / 2.0;
            i = j + 1;
        }
        return ranks;
    }
}
