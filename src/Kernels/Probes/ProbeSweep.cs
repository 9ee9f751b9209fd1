using MMInterp.Kernels.Hooks;
using MMInterp.Kernels.Models.Clip;
using MMInterp.Kernels.ShapesWorld;
using TorchSharp;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Probes;

/// <summary>Which activations to probe: a tower's hook kind at every block, reduced to one vector per image.</summary>
public sealed record ProbeSweepConfig
{
    public IReadOnlyList<ObjectAttribute> Attributes { get; init; } = [ObjectAttribute.Colour];
    /// <summary>The block-relative hook: "hook_resid_post", "hook_resid_pre", "hook_resid_mid", "attn.hook_z", "mlp.hook_post".</summary>
    public string Hook { get; init; } = "hook_resid_post";
    public string Tower { get; init; } = "vision";
    /// <summary>"cls" (the class token) or "mean" (mean over all tokens).</summary>
    public string Position { get; init; } = "cls";
    public long TrainSeed { get; init; } = 2_000_001;
    public long TestSeed { get; init; } = 2_000_002;
    public int TrainImages { get; init; } = 1024;
    public int TestImages { get; init; } = 512;
    public LinearProbeOptions Probe { get; init; } = new();

    static readonly string[] Hooks = ["hook_resid_post", "hook_resid_pre", "hook_resid_mid", "attn.hook_z", "mlp.hook_post"];

    public ProbeSweepConfig Validate()
    {
        if (Attributes.Count == 0) throw new ArgumentException("Attributes must name at least one attribute", nameof(Attributes));
        var hook = NormalHook;
        if (!Hooks.Contains(hook)) throw new ArgumentException($"Hook '{Hook}' cannot be probed: expected one of {string.Join(", ", Hooks)}", nameof(Hook));
        if (Tower != "vision") throw new ArgumentException($"Tower '{Tower}': ShapesWorld probes read images, so only 'vision' applies", nameof(Tower));
        if (Position is not ("cls" or "mean")) throw new ArgumentException($"Position must be cls or mean, got '{Position}'", nameof(Position));
        if (TrainSeed == TestSeed) throw new ArgumentException("TestSeed must differ from TrainSeed (held-out split)", nameof(TestSeed));
        if (TrainImages < 16) throw new ArgumentException($"TrainImages must be at least 16, got {TrainImages}", nameof(TrainImages));
        if (TestImages < 16) throw new ArgumentException($"TestImages must be at least 16, got {TestImages}", nameof(TestImages));
        Probe.Validate();
        return this;
    }

    /// <summary>Accepts "resid_post" as shorthand for "hook_resid_post" and "z" for "attn.hook_z".</summary>
    public string NormalHook => Hook switch
    {
        "resid_post" or "resid_pre" or "resid_mid" => "hook_" + Hook,
        "z" or "hook_z" => "attn.hook_z",
        "mlp_post" or "mlp.post" => "mlp.hook_post",
        _ => Hook,
    };
}

/// <summary>Held-out probe accuracy for each attribute at each block.</summary>
public sealed record ProbeSweepResult(ProbeSweepConfig Config, IReadOnlyDictionary<ObjectAttribute, double[]> Accuracy, IReadOnlyList<string> HookNames)
{
    public static double Chance(ObjectAttribute a) => 1.0 / AttributeWords.Count(a);
}

/// <summary>Caches one hook kind at every block over single-object ShapesWorld images and trains one linear probe per
/// (attribute, block) on one seed, scoring it on another.</summary>
public static class ProbeSweep
{
    public static ProbeSweepResult Run(ClipModel model, ProbeSweepConfig config, Action<double, string>? progress = null)
    {
        var c = config.Validate();
        var layers = model.Config.Vision.Tower.NumLayers;
        var names = Enumerable.Range(0, layers).Select(i => $"{c.Tower}.blocks.{i}.{c.NormalHook}").ToList();
        var world = new ShapesWorldGenerator(new ShapesWorldConfig { ImageSize = model.Config.Vision.ImageSize, MinObjects = 1, MaxObjects = 1 });
        using var scope = NewDisposeScope();
        progress?.Invoke(0.0, "extracting train split");
        var (trainFeatures, trainLabels) = Extract(model, world, names, c, c.TrainSeed, c.TrainImages);
        progress?.Invoke(0.3, "extracting test split");
        var (testFeatures, testLabels) = Extract(model, world, names, c, c.TestSeed, c.TestImages);
        var accuracy = new Dictionary<ObjectAttribute, double[]>();
        var total = c.Attributes.Count * layers;
        var done = 0;
        foreach (var attribute in c.Attributes)
        {
            accuracy[attribute] = new double[layers];
            for (var i = 0; i < layers; i++)
            {
                accuracy[attribute][i] = LinearProbe.TrainAndTest(trainFeatures[i], trainLabels[attribute], testFeatures[i], testLabels[attribute],
                    AttributeWords.Count(attribute), c.Probe);
                progress?.Invoke(0.6 + 0.4 * ++done / total, $"{attribute} block {i}");
            }
        }
        return new ProbeSweepResult(c, accuracy, names);
    }

    /// <summary>Per-block features [N, D] and per-attribute labels [N] of the (only) object.</summary>
    static (List<Tensor> Features, Dictionary<ObjectAttribute, Tensor> Labels) Extract(
        ClipModel model, ShapesWorldGenerator world, List<string> names, ProbeSweepConfig c, long seed, int count)
    {
        var device = model.LogitScale.device;
        var features = names.Select(_ => new List<Tensor>()).ToList();
        var labels = c.Attributes.ToDictionary(a => a, _ => new List<Tensor>());
        var wasTraining = model.training;
        model.eval();
        try
        {
            for (var start = 0; start < count; start += 256)
            {
                using var cache = new ActivationCache();
                using var batch = world.Batch(seed, start, Math.Min(256, count - start), device);
                using (model.Hooks.Scope())
                {
                    foreach (var name in names) model.Hooks.Add(name, Hook.Cache(cache));
                    using var _ = no_grad();
                    model.VisionModel.Forward(batch.Images);
                }
                for (var i = 0; i < names.Count; i++) features[i].Add(Reduce(cache[names[i]], c.Position));
                foreach (var a in c.Attributes) labels[a].Add(batch.FirstObject(a).clone());
            }
        }
        finally { model.train(wasTraining); }
        return (features.Select(f => cat(f, 0)).ToList(), labels.ToDictionary(kv => kv.Key, kv => cat(kv.Value, 0)));
    }

    /// <summary>[B, T, ...] -> [B, D]: the class token or the token mean, heads flattened.</summary>
    static Tensor Reduce(Tensor activation, string position)
    {
        var pooled = position == "cls" ? activation.select(1, 0) : activation.mean([1]);
        return pooled.reshape(pooled.shape[0], -1);
    }
}
