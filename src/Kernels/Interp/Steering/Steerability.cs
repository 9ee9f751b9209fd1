using MMInterp.Kernels.Models.Clip;
using MMInterp.Kernels.Sae;
using MMInterp.Kernels.ShapesWorld;
using MMInterp.Kernels.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Interp.Steering;

/// <summary>Runs the steerability test of <see cref="SteerabilityConfig"/> on one SAE at one vision hook, with its
/// random-direction control and the "SAE inserted" control, all on the same images in one call.</summary>
public static class Steerability
{
    /// <param name="targets">given targets by feature (e.g. free labels): only these features are tested, each against
    /// its target, measured on all evaluation images; null names them as <see cref="SteerabilityConfig.Naming"/> says</param>
    /// <param name="progress">completion in [0, 1] and a note</param>
    public static SteerabilityResult Run(ClipModel model, ClipBpeTokenizer tokenizer, ISparseAutoencoder sae, string hook, SteerabilityConfig config,
        IReadOnlyDictionary<int, SteeringTarget>? targets = null, Action<double, string>? progress = null, CancellationToken cancel = default)
    {
        config.Validate();
        SaeLatents.CheckHook(model, sae, hook);
        SaeLatents.CheckTokens(model, hook, config.Tokens);
        CheckTargets(sae, targets);
        var world = new ShapesWorldGenerator(new ShapesWorldConfig { ImageSize = model.Config.Vision.ImageSize, MinObjects = 1, MaxObjects = 1 });
        using var scope = NewDisposeScope();

        float[] strength, perImage;
        int calibrationImages;
        Dictionary<ObjectAttribute, int[]> calibrationTruth;
        using (var calibration = world.Batch(config.CalibrationSeed, 0, config.CalibrationImages))
        {
            perImage = SaeLatents.PerImageMax(model, sae, hook, calibration.Images, config.BatchSize, config.Tokens).cpu().contiguous().data<float>().ToArray();
            calibrationImages = (int)calibration.Images.shape[0];
            calibrationTruth = config.Attributes.Distinct().ToDictionary(a => a, a => calibration.FirstObject(a).cpu().data<long>().Select(v => (int)v).ToArray());
        }
        var m = sae.Config.DSae;
        strength = SteeringCalibration.Strength(perImage, calibrationImages, m, config.ClampQuantile);
        var live = Enumerable.Range(0, m).Where(j => strength[j] > 0).ToList();
        List<int> tested;
        Dictionary<int, double>? detectionAuroc = null;
        if (targets is null && config.Naming == TargetNaming.Detection)
        {
            // Name every live feature first, then sample among those that detect well enough.
            var detected = SteeringCalibration.DetectedTargets(perImage, calibrationImages, m, calibrationTruth, live)
                .Where(kv => kv.Value.Auroc >= config.MinDetectionAuroc).ToDictionary(kv => kv.Key, kv => kv.Value);
            tested = Sample(detected.Keys.Order().ToList(), config.MaxFeatures, config.Seed);
            targets = tested.ToDictionary(f => f, f => detected[f].Target);
            detectionAuroc = tested.ToDictionary(f => f, f => detected[f].Auroc);
        }
        else tested = targets is not null ? targets.Keys.Order().ToList() : Sample(live, config.MaxFeatures, config.Seed);
        progress?.Invoke(0.05, $"{live.Count} of {m} features live; testing {tested.Count}");

        using var batch = world.Batch(config.EvalSeed, 0, config.EvalImages);
        var n = config.EvalImages;
        var truth = config.Attributes.Distinct().ToDictionary(a => a, a => batch.FirstObject(a).cpu().data<long>().Select(v => (int)v).ToArray());
        using var probe = new ZeroShotProbe(model, tokenizer, truth.Keys);
        var before = Flatten(probe.Probabilities(batch.Images, config.BatchSize));
        var inserted = InsertedControls(model, sae, hook, probe, batch.Images, before, truth, config.BatchSize);

        var judge = new Judge(config, truth, before, n);
        var clamps = tested.Select(f => config.ClampMultiple * strength[f]).ToList();
        var features = new List<FeatureSteering>();
        var trials = config.RandomDirections == 0 ? tested.Count * config.RandomPerFeature : config.RandomDirections;
        var total = Math.Max(1, tested.Count + trials);
        for (var at = 0; at < tested.Count; at += config.FeaturesPerBatch)
        {
            cancel.ThrowIfCancellationRequested();
            var chunk = Enumerable.Range(at, Math.Min(config.FeaturesPerBatch, tested.Count - at)).ToList();
            var edit = SaeSplice.OnTokens(RowClamps(sae, chunk.Select(i => (tested[i], clamps[i])).ToList(), n, config.Scope), config.Tokens, hook);
            var after = Steered(model, hook, probe, batch.Images, chunk.Count, SaeSplice.Hook(sae, SpliceMode.WithError, edit), config.BatchSize);
            for (var c = 0; c < chunk.Count; c++)
                features.Add(judge.Evaluate(tested[chunk[c]], clamps[chunk[c]], after, c, targets?[tested[chunk[c]]]));
            progress?.Invoke(0.1 + 0.9 * (at + chunk.Count) / total, $"steered {at + chunk.Count}/{tested.Count} features");
        }

        var control = new List<FeatureSteering>();
        if (tested.Count > 0)
        {
            using var generator = new Generator((ulong)config.Seed + 1);
            var directions = nn.functional.normalize(randn([trials, sae.Config.DIn], generator: generator), dim: -1);
            for (var at = 0; at < trials; at += config.FeaturesPerBatch)
            {
                cancel.ThrowIfCancellationRequested();
                var chunk = Enumerable.Range(at, Math.Min(config.FeaturesPerBatch, trials - at)).ToList();
                var pairs = chunk.Select(r => (tested[r % tested.Count], clamps[r % tested.Count])).ToList();
                var rowDirections = directions.narrow(0, at, chunk.Count).repeat_interleave(n, 0);
                // The edit changes only the selected tokens, so the control's equal-norm push is zero on the others too.
                var hookFn = SaeSplice.EqualNormDirection(sae, SaeSplice.OnTokens(RowClamps(sae, pairs, n, config.Scope), config.Tokens, hook), rowDirections);
                var after = Steered(model, hook, probe, batch.Images, chunk.Count, hookFn, config.BatchSize);
                for (var c = 0; c < chunk.Count; c++)
                    control.Add(judge.Evaluate(pairs[c].Item1, pairs[c].Item2, after, c, targets?[pairs[c].Item1]));
                progress?.Invoke(0.1 + 0.9 * (tested.Count + at + chunk.Count) / total, $"random control {at + chunk.Count}/{trials}");
            }
        }
        return new SteerabilityResult(config, hook, sae.Config.DSae, live.Count, features, control, inserted) { DetectionAuroc = detectionAuroc };
    }

    static void CheckTargets(ISparseAutoencoder sae, IReadOnlyDictionary<int, SteeringTarget>? targets)
    {
        if (targets is null) return;
        if (targets.Count == 0) throw new ArgumentException("targets is empty: pass null to name targets by steering", nameof(targets));
        foreach (var (feature, target) in targets)
        {
            if (feature < 0 || feature >= sae.Config.DSae)
                throw new ArgumentException($"target feature {feature} is out of range: the SAE has {sae.Config.DSae} features", nameof(targets));
            if (!Enum.IsDefined(target.Attribute) || target.Value < 0 || target.Value >= AttributeWords.Count(target.Attribute))
                throw new ArgumentException($"target of feature {feature} names value {target.Value} of {target.Attribute}, which does not exist", nameof(targets));
        }
    }

    static List<int> Sample(List<int> live, int max, long seed)
    {
        if (max == 0 || max >= live.Count) return live;
        var rng = new Random((int)(seed ^ (seed >> 32)));
        return live.OrderBy(_ => rng.Next()).Take(max).Order().ToList();
    }

    /// <summary>Copy c of the images (rows c*n .. c*n+n-1) gets feature pairs[c] clamped.</summary>
    internal static LatentEdit RowClamps(ISparseAutoencoder sae, List<(int Feature, double Value)> pairs, int n, ClampScope scope) =>
        SaeSplice.ClampRows(sae, pairs.SelectMany(p => Enumerable.Repeat((long)p.Feature, n)).ToArray(),
            pairs.SelectMany(p => Enumerable.Repeat((float)p.Value, n)).ToArray(), scope);

    static Dictionary<ObjectAttribute, float[]> Steered(ClipModel model, string hook, ZeroShotProbe probe, Tensor images, int copies, Hooks.HookFn fn, int batchSize)
    {
        using var scope = NewDisposeScope();
        using (model.Hooks.Scope())
        {
            model.Hooks.Add(hook, fn);
            // One batch: the row edits index the whole repeated batch.
            return Flatten(probe.Probabilities(images.repeat(copies, 1, 1, 1), Math.Max(batchSize, (int)images.shape[0] * copies)));
        }
    }

    static List<SpliceControl> InsertedControls(ClipModel model, ISparseAutoencoder sae, string hook, ZeroShotProbe probe, Tensor images,
        Dictionary<ObjectAttribute, float[]> unhooked, Dictionary<ObjectAttribute, int[]> truth, int batchSize)
    {
        Dictionary<ObjectAttribute, float[]> Spliced(SpliceMode mode)
        {
            using var scope = NewDisposeScope();
            using (model.Hooks.Scope())
            {
                model.Hooks.Add(hook, SaeSplice.Hook(sae, mode));
                return Flatten(probe.Probabilities(images, batchSize));
            }
        }
        var withError = Spliced(SpliceMode.WithError);
        var reconstruction = Spliced(SpliceMode.ReconstructionOnly);
        return truth.Keys.Select(a => new SpliceControl(a, Accuracy(unhooked[a], truth[a]), Accuracy(withError[a], truth[a]), Accuracy(reconstruction[a], truth[a]))).ToList();
    }

    static Dictionary<ObjectAttribute, float[]> Flatten(Dictionary<ObjectAttribute, Tensor> probs) =>
        probs.ToDictionary(kv => kv.Key, kv => kv.Value.cpu().contiguous().data<float>().ToArray());

    internal static int ArgMax(float[] p, int offset, int count)
    {
        var best = 0;
        for (var v = 1; v < count; v++)
            if (p[offset + v] > p[offset + best]) best = v;
        return best;
    }

    internal static double Accuracy(float[] probs, int[] truth)
    {
        var values = probs.Length / truth.Length;
        return (double)Enumerable.Range(0, truth.Length).Count(i => ArgMax(probs, i * values, values) == truth[i]) / truth.Length;
    }

    /// <summary>Names targets on the first half of the images and measures on the second (or all, for given targets).</summary>
    sealed class Judge(SteerabilityConfig config, Dictionary<ObjectAttribute, int[]> truth, Dictionary<ObjectAttribute, float[]> before, int n)
    {
        public FeatureSteering Evaluate(int feature, double clamp, Dictionary<ObjectAttribute, float[]> after, int copy, SteeringTarget? given)
        {
            var half = n / 2;
            var target = given ?? Name(after, copy, 0, half);
            var measured = given is null ? Enumerable.Range(half, n - half).ToList() : Enumerable.Range(0, n).ToList();
            var a = target.Attribute;
            var values = AttributeWords.Count(a);
            var t = truth[a];
            var p0 = before[a];
            var p1 = after[a];
            var offset = copy * n * values;
            var others = measured.Where(i => t[i] != target.Value).ToList();
            double probBefore = 0, probAfter = 0, flips = 0, flippable = 0;
            foreach (var i in others)
            {
                probBefore += p0[i * values + target.Value];
                probAfter += p1[offset + i * values + target.Value];
                // A flip needs a prediction that was not the target already.
                if (ArgMax(p0, i * values, values) == target.Value) continue;
                flippable++;
                if (ArgMax(p1, offset + i * values, values) == target.Value) flips++;
            }
            var count = Math.Max(1, others.Count);
            var meanBefore = Enumerable.Range(0, values).Select(v => measured.Average(i => (double)p0[i * values + v])).ToList();
            var meanAfter = Enumerable.Range(0, values).Select(v => measured.Average(i => (double)p1[offset + i * values + v])).ToList();
            var delta = (probAfter - probBefore) / count;
            var flipShare = flippable == 0 ? 0 : flips / flippable;
            var steerable = others.Count > 0 && delta > config.DeltaThreshold && flipShare >= config.FlipThreshold;
            return new FeatureSteering(feature, clamp, target, others.Count, probBefore / count, probAfter / count, flipShare, steerable, meanBefore, meanAfter);
        }

        /// <summary>The value (over every attribute) whose probability rises most, on images whose truth is another value.</summary>
        SteeringTarget Name(Dictionary<ObjectAttribute, float[]> after, int copy, int from, int count)
        {
            var best = new SteeringTarget(truth.Keys.First(), 0);
            var bestRise = double.NegativeInfinity;
            foreach (var (a, t) in truth)
            {
                var values = AttributeWords.Count(a);
                var offset = copy * n * values;
                for (var v = 0; v < values; v++)
                {
                    double rise = 0;
                    var m = 0;
                    for (var i = from; i < from + count; i++)
                    {
                        if (t[i] == v) continue;
                        rise += after[a][offset + i * values + v] - before[a][i * values + v];
                        m++;
                    }
                    if (m > 0 && rise / m > bestRise)
                    {
                        bestRise = rise / m;
                        best = new SteeringTarget(a, v);
                    }
                }
            }
            return best;
        }
    }
}
