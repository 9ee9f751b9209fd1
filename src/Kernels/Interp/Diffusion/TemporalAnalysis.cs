using MMInterp.Kernels.Extraction;
using MMInterp.Kernels.Models.Diffusion;
using MMInterp.Kernels.Probes;
using MMInterp.Kernels.ShapesWorld;
using MMInterp.Kernels.Tensors;
using TorchSharp;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Interp.Diffusion;

public sealed record TemporalConfig
{
    /// <summary>Noise levels probed, 1 = pure noise (where nothing is decodable: the built-in control).</summary>
    public IReadOnlyList<double> Timesteps { get; init; } = [1.0, 0.95, 0.9, 0.85, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0.0];
    public IReadOnlyList<ObjectAttribute> Attributes { get; init; } = [ObjectAttribute.Colour, ObjectAttribute.Position, ObjectAttribute.Size, ObjectAttribute.Shape, ObjectAttribute.Fill];
    public int TrainImages { get; init; } = 384;
    public int TestImages { get; init; } = 192;
    /// <summary>Data seeds; each gives its own train/test images and noise, so the earliest steps come with a spread.</summary>
    public IReadOnlyList<long> Seeds { get; init; } = [3_000_017];
    public int ProbeSteps { get; init; } = 150;
    /// <summary>Decodable = probe accuracy at least chance + Margin * (1 - chance).</summary>
    public double Margin { get; init; } = 0.5;
    /// <summary>Prompts sampled for the generation-trajectory view (classifier on each step's clean-image estimate); 0 skips it.</summary>
    public int TrajectoryPrompts { get; init; } = 64;
    /// <summary>A user's prompts for the trajectory instead of held-out ShapesWorld captions: with no ground truth, each
    /// step's reading is judged against the final image's.</summary>
    public IReadOnlyList<string>? Prompts { get; init; }

    public TemporalConfig Validate()
    {
        if (Timesteps.Count < 2 || Timesteps.Any(t => !(t >= 0 && t <= 1))) throw new ArgumentException("Timesteps must hold at least two noise levels in [0, 1]", nameof(Timesteps));
        if (Attributes.Count == 0) throw new ArgumentException("Attributes must name at least one attribute", nameof(Attributes));
        if (TrainImages < 16 || TestImages < 16) throw new ArgumentException($"TrainImages and TestImages must be at least 16, got {TrainImages} and {TestImages}", nameof(TrainImages));
        if (Seeds.Count == 0) throw new ArgumentException("Seeds must hold at least one seed", nameof(Seeds));
        if (ProbeSteps < 1) throw new ArgumentException($"ProbeSteps must be positive, got {ProbeSteps}", nameof(ProbeSteps));
        if (!(Margin > 0 && Margin < 1)) throw new ArgumentException($"Margin must be in (0, 1), got {Margin}", nameof(Margin));
        if (TrajectoryPrompts < 0) throw new ArgumentException($"TrajectoryPrompts must be non-negative, got {TrajectoryPrompts}", nameof(TrajectoryPrompts));
        UserPrompts.Check(Prompts);
        return this;
    }
}

/// <summary>Per attribute: probe accuracy at each noise level (best block, mean over seeds), the pixel control, and
/// the earliest (noisiest) level at which it is decodable, per seed.</summary>
public sealed record TemporalAttributeCurve(
    ObjectAttribute Attribute, double Chance, double Threshold,
    IReadOnlyList<double> Accuracy, IReadOnlyList<IReadOnlyList<double>> AccuracyPerBlock, IReadOnlyList<double> PixelControl,
    IReadOnlyList<double> EarliestPerSeed)
{
    /// <summary>Mean over seeds of the earliest decodable noise level (NaN when never decodable on some seed).</summary>
    public double Earliest => EarliestPerSeed.Any(double.IsNaN) ? double.NaN : EarliestPerSeed.Average();
}

/// <summary>The generation trajectory: per attribute, the share of images whose classifier reading of each sampling step's
/// clean-image estimate matches the reference: the prompt's attributes (ShapesWorld captions, <see cref="Reference"/>
/// "prompt") or the final image's reading (a user's prompts, "final image"). <see cref="Frames"/> holds the first
/// prompts' estimates per step (planar RGB in [0, 1] at <see cref="FrameSide"/>), for the picture.</summary>
public sealed record TrajectoryCurve(IReadOnlyList<double> T, IReadOnlyDictionary<ObjectAttribute, IReadOnlyList<double>> Accuracy,
    string Reference = TrajectoryCurve.Prompt, IReadOnlyList<string>? Prompts = null)
{
    public const string Prompt = "prompt", FinalImage = "final image";

    [System.Text.Json.Serialization.JsonIgnore] public IReadOnlyList<IReadOnlyList<float[]>> Frames { get; init; } = [];
    [System.Text.Json.Serialization.JsonIgnore] public int FrameSide { get; init; }
    /// <summary>The pictured prompts, one per row of <see cref="Frames"/>.</summary>
    [System.Text.Json.Serialization.JsonIgnore] public IReadOnlyList<string> FrameLabels { get; init; } = [];
}

public sealed record TemporalResult(TemporalConfig Config, IReadOnlyList<double> Timesteps, IReadOnlyList<string> Hooks,
    IReadOnlyList<TemporalAttributeCurve> Curves, TrajectoryCurve? Trajectory)
{
    public TemporalAttributeCurve Curve(ObjectAttribute a) => Curves.FirstOrDefault(c => c.Attribute == a)
        ?? throw new ArgumentException($"attribute {a} was not analysed");

    /// <summary>1 when colour becomes decodable at a noisier level than fill on every seed, else 0 (the figure temporal_colour_before_fill).</summary>
    public int ColourBeforeFill()
    {
        var colour = Curve(ObjectAttribute.Colour).EarliestPerSeed;
        var fill = Curve(ObjectAttribute.Fill).EarliestPerSeed;
        return colour.Zip(fill).All(p => !double.IsNaN(p.First) && (double.IsNaN(p.Second) || p.First > p.Second)) ? 1 : 0;
    }
}

/// <summary>Temporal evolution of concepts: for each ground-truth attribute, the noisiest level at which a linear probe
/// on the denoiser's residual stream (null caption, so the information came from the pixels) decodes it.</summary>
public static class TemporalAnalysis
{
    public static TemporalResult Run(IZooDenoiser model, TemporalConfig config, Action<double, string>? progress = null)
    {
        var c = config.Validate();
        var hooks = model.BlockHooks.ToList();
        var ts = c.Timesteps.ToList();
        // [attribute][seed][block][t]
        var acc = c.Attributes.ToDictionary(a => a, _ => new List<double[][]>());
        var pixel = c.Attributes.ToDictionary(a => a, _ => new List<double[]>());
        for (var s = 0; s < c.Seeds.Count; s++)
        {
            var seed = c.Seeds[s];
            progress?.Invoke((double)s / c.Seeds.Count, $"seed {seed}: activations");
            var extraction = new TimestepExtractionConfig { Hooks = hooks, Timesteps = ts, Seed = seed, Images = c.TrainImages + c.TestImages };
            var features = TimestepActivations.Pooled(model, extraction);
            var pixels = NoisyPixels(model, extraction);
            var scenes = DiffusionEvaluator.PromptScenes(model.ImageSize, seed, c.TrainImages + c.TestImages);
            try
            {
                foreach (var a in c.Attributes)
                {
                    progress?.Invoke((s + 0.5) / c.Seeds.Count, $"seed {seed}: probing {a.ToString().ToLowerInvariant()}");
                    using var labels = tensor(scenes.Select(x => (long)x.Objects[0].Value(a)).ToArray());
                    acc[a].Add(hooks.Select(h => ts.Select(t => Probe(features[new TimestepKey(h, t)], labels, c, a)).ToArray()).ToArray());
                    pixel[a].Add(ts.Select(t => Probe(pixels[t], labels, c, a)).ToArray());
                }
            }
            finally
            {
                foreach (var f in features.Values) f.Dispose();
                foreach (var p in pixels.Values) p.Dispose();
            }
        }
        var curves = c.Attributes.Select(a =>
        {
            var chance = 1.0 / AttributeWords.Count(a);
            var threshold = chance + c.Margin * (1 - chance);
            var perBlock = hooks.Select((_, b) => (IReadOnlyList<double>)ts.Select((_, k) => acc[a].Average(seed => seed[b][k])).ToList()).ToList();
            var best = ts.Select((_, k) => perBlock.Max(block => block[k])).ToList();
            var earliest = acc[a].Select(seed => Earliest(ts, ts.Select((_, k) => seed.Max(block => block[k])).ToList(), threshold)).ToList();
            var pixelMean = ts.Select((_, k) => pixel[a].Average(seed => seed[k])).ToList();
            return new TemporalAttributeCurve(a, chance, threshold, best, perBlock, pixelMean, earliest);
        }).ToList();
        progress?.Invoke(0.95, "generation trajectory");
        var trajectory = c.Prompts is { } user ? Trajectory(model, user, c.Attributes)
            : c.TrajectoryPrompts > 0 ? Trajectory(model, c.TrajectoryPrompts, c.Attributes) : null;
        return new TemporalResult(c, ts, hooks, curves, trajectory);
    }

    /// <summary>The noisiest level whose accuracy reaches the threshold (NaN when none does).</summary>
    public static double Earliest(IReadOnlyList<double> timesteps, IReadOnlyList<double> accuracy, double threshold)
    {
        var hits = timesteps.Where((_, k) => accuracy[k] >= threshold).ToList();
        return hits.Count == 0 ? double.NaN : hits.Max();
    }

    /// <summary>The noisiest step from which the classifier's reading agrees with the final image's on at least 90% of the
    /// prompts at every later step (NaN when it never does): where a user's generation settles an attribute.</summary>
    public static double Settled(IReadOnlyList<double> steps, IReadOnlyList<double> agreement, double bar = 0.9)
    {
        var from = agreement.Count;
        while (from > 0 && agreement[from - 1] >= bar) from--;
        return from == agreement.Count ? double.NaN : steps[from];
    }

    /// <summary>Attributes the object's mask itself holds: where it is, how much it covers, its outline. Pooling over the
    /// mask hands them to the probe whenever activations depend on place (a U-Net's padding or coordinate channels, a
    /// DiT's position embeddings), even at pure noise, so their probes read the image-wide mean alone.</summary>
    public static bool MaskHolds(ObjectAttribute a) => a is ObjectAttribute.Position or ObjectAttribute.Size or ObjectAttribute.Shape;

    static double Probe(Tensor pooled, Tensor labels, TemporalConfig c, ObjectAttribute a)
    {
        using var scope = NewDisposeScope();
        // pooled is [N, 2d]: the object-pooled half, then the image-wide mean (TimestepActivations.PoolOverObject).
        var d = pooled.shape[1] / 2;
        var features = MaskHolds(a) ? pooled.narrow(1, d, d) : pooled;
        var train = features.narrow(0, 0, c.TrainImages);
        var test = features.narrow(0, c.TrainImages, c.TestImages);
        return LinearProbe.TrainAndTest(train, labels.narrow(0, 0, c.TrainImages), test, labels.narrow(0, c.TrainImages, c.TestImages),
            AttributeWords.Count(a), new LinearProbeOptions { Steps = c.ProbeSteps });
    }

    /// <summary>The control: the same probe and pooling on the noisy input's patches themselves (what a model that did nothing
    /// would hold), same images and noise. A latent model's input is its noisy latents.</summary>
    static Dictionary<double, Tensor> NoisyPixels(IZooDenoiser model, TimestepExtractionConfig x)
    {
        var device = model.Text.Device;
        var world = new ShapesWorldGenerator(ShapesWorldConfig.SingleObject(model.ImageSize));
        var parts = x.Timesteps.ToDictionary(t => t, _ => new List<Tensor>());
        for (var start = 0; start < x.Images; start += x.BatchSize)
        {
            using var scope = NewDisposeScope();
            var n = Math.Min(x.BatchSize, x.Images - start);
            using var batch = world.Batch(x.Seed, start, n, device);
            var x0 = model.CleanInput(batch.Images);
            var eps = randn(x0.shape, generator: new Generator((ulong)(x.Seed + start), device), device: device);
            var p = model.PixelPatch;
            // The same patch in the denoiser's input space: a latent model's x0 is coarser than its pixels.
            var inModel = (int)(p * x0.shape[^1] / model.ImageSize);
            if (inModel < 1 || inModel * model.ImageSize != p * x0.shape[^1])
                throw new InvalidOperationException($"the {p}-pixel control patch is not a whole number of the denoiser's {x0.shape[^1]}-side inputs");
            foreach (var t in x.Timesteps)
            {
                var patches = nn.functional.unfold(model.Noise(x0, full([n], Scalars.S(t), device: device), eps), inModel, stride: inModel).transpose(1, 2);
                parts[t].Add(TimestepActivations.PoolOverObject(patches, batch.Mask, p).cpu().DetachFromDisposeScope());
            }
        }
        Scalars.Release();
        return parts.ToDictionary(kv => kv.Key, kv =>
        {
            var all = cat(kv.Value, 0);
            foreach (var t in kv.Value) t.Dispose();
            return all;
        });
    }

    /// <summary>Samples held-out prompts and scores each step's clean-image estimate with the classifier against them.</summary>
    public static TrajectoryCurve Trajectory(IZooDenoiser model, int prompts, IReadOnlyList<ObjectAttribute> attributes)
    {
        var scenes = DiffusionEvaluator.PromptScenes(model.ImageSize, model.EvalSeed + 101, prompts);
        return Trajectory(model, scenes.Select(Captions.Describe).ToList(), attributes, scenes);
    }

    /// <summary>Samples <paramref name="prompts"/>; with <paramref name="scenes"/> (their ground truth) each step's readings
    /// are scored against the scenes, without them against the final step's readings.</summary>
    public static TrajectoryCurve Trajectory(IZooDenoiser model, IReadOnlyList<string> prompts, IReadOnlyList<ObjectAttribute> attributes,
        IReadOnlyList<Scene>? scenes = null)
    {
        using var scope = NewDisposeScope();
        var device = model.Text.Device;
        var text = model.Text.Encode(prompts, device);
        var nullText = model.Text.Encode(Enumerable.Repeat(TextConditioner.Null, prompts.Count).ToList(), device);
        var classifier = model.Classifier;
        var classifierDevice = classifier.parameters().First().device;
        var pictured = Math.Min(Pictured, prompts.Count);
        var side = Math.Min(model.ImageSize, FrameSide);
        var ts = new List<double>();
        var readings = new List<Dictionary<ObjectAttribute, Tensor>>();
        var frames = Enumerable.Range(0, pictured).Select(_ => new List<float[]>()).ToList();
        model.Sample(text, nullText, model.Sampler(model.EvalSeed + 101), afterStep: (t, clean) =>
        {
            using var step = NewDisposeScope();
            ts.Add(t);
            var pixels = FlowMatching.ToPixels(clean);
            readings.Add(classifier.Predict(pixels.to(classifierDevice)).ToDictionary(kv => kv.Key, kv => kv.Value.cpu().DetachFromDisposeScope()));
            var small = nn.functional.adaptive_avg_pool2d(pixels.narrow(0, 0, pictured), [side, side]).cpu();
            for (var p = 0; p < pictured; p++) frames[p].Add(small[p].contiguous().data<float>().ToArray());
        });
        try
        {
            using var truth = scenes is null ? null : stack(attributes.Select(a => tensor(scenes.Select(x => (long)x.Objects[0].Value(a)).ToArray())).ToArray());
            var accuracy = attributes.Select((a, i) => (a, (IReadOnlyList<double>)readings.Select(r =>
            {
                using var reference = truth is null ? readings[^1][a].alias() : truth[i];
                return r[a].eq(reference).to_type(ScalarType.Float32).mean().item<float>() * 1.0;
            }).ToList())).ToDictionary(x => x.a, x => x.Item2);
            Scalars.Release();
            return new TrajectoryCurve(ts, accuracy, scenes is null ? TrajectoryCurve.FinalImage : TrajectoryCurve.Prompt, scenes is null ? prompts : null)
            {
                Frames = frames, FrameSide = side, FrameLabels = prompts.Take(pictured).ToList(),
            };
        }
        finally
        {
            foreach (var r in readings) foreach (var t in r.Values) t.Dispose();
        }
    }

    /// <summary>Prompts whose clean-image estimates are pictured, and the side they are drawn at.</summary>
    const int Pictured = 4, FrameSide = 64;
}
