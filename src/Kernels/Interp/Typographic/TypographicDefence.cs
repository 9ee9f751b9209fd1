using MMInterp.Kernels.Hooks;
using MMInterp.Kernels.Interp.Features;
using MMInterp.Kernels.Interp.Steering;
using MMInterp.Kernels.Models.Clip;
using MMInterp.Kernels.Sae;
using MMInterp.Kernels.ShapesWorld;
using MMInterp.Kernels.Text;
using TorchSharp;
using static MMInterp.Kernels.Tensors.Scalars;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Interp.Typographic;

/// <summary>Runs the defence of <see cref="TypographicConfig"/>: attack drop, text-feature ranking, suppression,
/// random-feature control, clean cost and the "SAE inserted" control, on the same scenes in one call.</summary>
public static class TypographicDefence
{
    static readonly ObjectAttribute[] Judged = [ObjectAttribute.Colour, ObjectAttribute.Shape];

    public static TypographicResult Run(ClipModel model, ClipBpeTokenizer tokenizer, ISparseAutoencoder sae, string hook, TypographicConfig config,
        Action<double, string>? progress = null, CancellationToken cancel = default)
    {
        config.Validate();
        SaeLatents.CheckHook(model, sae, hook);
        var world = AttackScenes.Generator(model.Config.Vision.ImageSize);
        using var scope = NewDisposeScope();

        using var probe = new ZeroShotProbe(model, tokenizer, Judged);
        var (chosen, auroc, live) = RankTextFeatures(model, sae, hook, world, probe, config, cancel);
        progress?.Invoke(0.3, $"text features {string.Join(",", chosen)} (AUROC {string.Join(",", auroc.Select(a => a.ToString("F2")))})");

        var (attackedScenes, cleanScenes) = AttackScenes.Pairs(world, config.EvalSeed, config.EvalImages);
        using var attacked = world.Batch(attackedScenes);
        using var clean = world.Batch(cleanScenes);
        using var trueWord = world.Batch(AttackScenes.TrueWordTwins(attackedScenes));
        var judge = new Judge(attackedScenes);

        IReadOnlyList<int> Predict(ShapesBatch batch, HookFn? fn)
        {
            using var inner = NewDisposeScope();
            return judge.Predictions(Probabilities(model, probe, hook, batch.Images, fn, config.BatchSize, cancel));
        }
        var cleanMean = config.Suppression == TextSuppression.CleanMean ? CleanTokenMean(model, sae, hook, world, config) : null;
        HookFn Suppress(IReadOnlyList<int> features) => SaeSplice.Hook(sae, SpliceMode.WithError, cleanMean is null
            ? SaeSplice.Zero(sae, features)
            : SaeSplice.SetTo(sae, features, features.Select(f => cleanMean[f]).ToList()));

        var predictions = new Dictionary<string, IReadOnlyList<int>>
        {
            ["clean"] = Predict(clean, null),
            ["attacked"] = Predict(attacked, null),
            ["trueWord"] = Predict(trueWord, null),
            ["suppressed"] = Predict(attacked, Suppress(chosen)),
            ["cleanSuppressed"] = Predict(clean, Suppress(chosen)),
            ["reconClean"] = Predict(clean, SaeSplice.Hook(sae, SpliceMode.ReconstructionOnly)),
            ["reconAttacked"] = Predict(attacked, SaeSplice.Hook(sae, SpliceMode.ReconstructionOnly)),
        };
        progress?.Invoke(0.6, "suppressed chosen features");
        var pool = live.Except(chosen).ToList();
        var rng = new Random((int)(config.Seed ^ (config.Seed >> 32)));
        var randomAttacked = new List<IReadOnlyList<int>>();
        var randomClean = new List<IReadOnlyList<int>>();
        for (var trial = 0; trial < config.RandomTrials; trial++)
        {
            var set = pool.OrderBy(_ => rng.Next()).Take(chosen.Count).ToList();
            randomAttacked.Add(Predict(attacked, Suppress(set)));
            randomClean.Add(Predict(clean, Suppress(set)));
            progress?.Invoke(0.6 + 0.4 * (trial + 1) / config.RandomTrials, $"random trial {trial + 1}/{config.RandomTrials}");
        }

        TypographicAccuracy Accuracy(ObjectAttribute? attribute)
        {
            var idx = Enumerable.Range(0, attackedScenes.Count).Where(i => attribute is null || attackedScenes[i].Overlay!.Attribute == attribute).ToList();
            double Acc(IReadOnlyList<int> p) => idx.Count == 0 ? 0 : (double)idx.Count(i => p[i] == judge.Truth[i]) / idx.Count;
            var follows = idx.Count == 0 ? 0 : (double)idx.Count(i => predictions["attacked"][i] == attackedScenes[i].Overlay!.Value) / idx.Count;
            return new TypographicAccuracy(attribute, idx.Count, Acc(predictions["clean"]), Acc(predictions["attacked"]), Acc(predictions["suppressed"]),
                randomAttacked.Average(Acc), Acc(predictions["cleanSuppressed"]), randomClean.Average(Acc),
                Acc(predictions["reconClean"]), Acc(predictions["reconAttacked"]), follows) { TrueWord = Acc(predictions["trueWord"]) };
        }
        return new TypographicResult(config, hook, live.Count, chosen, auroc, Accuracy(null), Judged.Select(a => Accuracy(a)).ToList());
    }

    /// <summary>Live features ranked on the calibration split by <see cref="TypographicConfig.Selection"/>: how well their
    /// largest latent per image separates attacked from clean images, or what zeroing each alone regains; the best TopK.</summary>
    static (List<int> Chosen, List<double> Auroc, List<int> Live) RankTextFeatures(ClipModel model, ISparseAutoencoder sae, string hook,
        ShapesWorldGenerator world, ZeroShotProbe probe, TypographicConfig config, CancellationToken cancel)
    {
        using var scope = NewDisposeScope();
        var (attackedScenes, cleanScenes) = AttackScenes.Pairs(world, config.CalibrationSeed, config.CalibrationImages);
        using var attacked = world.Batch(attackedScenes);
        using var clean = world.Batch(cleanScenes);
        var scores = cat([SaeLatents.PerImageMax(model, sae, hook, attacked.Images, config.BatchSize),
            SaeLatents.PerImageMax(model, sae, hook, clean.Images, config.BatchSize)], 0).t().contiguous();
        var m = (int)scores.shape[0];
        var n = (int)scores.shape[1];
        var values = scores.data<float>().ToArray();
        var labels = Enumerable.Range(0, n).Select(i => i < attackedScenes.Count).ToArray();
        var live = new List<int>();
        var ranked = new List<(int Feature, double Auroc)>();
        for (var j = 0; j < m; j++)
        {
            var row = values.AsSpan(j * n, n);
            if (!row.ToArray().Any(v => v > 0)) continue;
            live.Add(j);
            ranked.Add((j, Features.Auroc.Compute(row, labels)));
        }
        var detecting = ranked.Where(r => r.Auroc > 0.5).ToList();
        if (detecting.Count == 0) throw new InvalidOperationException($"no live feature detects the words better than chance (AUROC > 0.5) among {live.Count} live features at {hook}");
        var byAuroc = detecting.OrderByDescending(r => r.Auroc).ThenBy(r => r.Feature).ToList();
        var best = config.Selection == TextFeatureSelection.Detection
            ? byAuroc.Take(config.TopK).ToList()
            : ByEffect(model, sae, hook, probe, attackedScenes, attacked, byAuroc.Take(config.EffectCandidates).ToList(), config, cancel);
        return (best.Select(b => b.Feature).ToList(), best.Select(b => b.Auroc).ToList(), live);
    }

    /// <summary>The TopK candidates whose zeroing alone raises the attacked calibration images' mean probability of the
    /// true value most (ranked by that gain, whatever its sign: the held-out evaluation judges them).</summary>
    static List<(int Feature, double Auroc)> ByEffect(ClipModel model, ISparseAutoencoder sae, string hook, ZeroShotProbe probe,
        IReadOnlyList<Scene> scenes, ShapesBatch attacked, IReadOnlyList<(int Feature, double Auroc)> candidates, TypographicConfig config, CancellationToken cancel)
    {
        var judge = new Judge(scenes);
        double TrueProbability(HookFn? fn)
        {
            using var inner = NewDisposeScope();
            return judge.MeanTrueProbability(Probabilities(model, probe, hook, attacked.Images, fn, config.BatchSize, cancel));
        }
        var baseline = TrueProbability(SaeSplice.Hook(sae, SpliceMode.WithError));
        return candidates
            .Select(c => (c.Feature, c.Auroc, Gain: TrueProbability(SaeSplice.Hook(sae, SpliceMode.WithError, SaeSplice.Zero(sae, [c.Feature]))) - baseline))
            .OrderByDescending(c => c.Gain).ThenBy(c => c.Feature).Take(config.TopK)
            .Select(c => (c.Feature, c.Auroc)).ToList();
    }

    /// <summary>The probe's probabilities of the judged attributes, with <paramref name="fn"/> (if any) at the hook.</summary>
    static Dictionary<ObjectAttribute, Tensor> Probabilities(ClipModel model, ZeroShotProbe probe, string hook, Tensor images, HookFn? fn,
        int batchSize, CancellationToken cancel)
    {
        cancel.ThrowIfCancellationRequested();
        using (model.Hooks.Scope())
        {
            if (fn is not null) model.Hooks.Add(hook, fn);
            return probe.Probabilities(images, batchSize);
        }
    }

    /// <summary>Each feature's mean latent over every token of the clean calibration scenes.</summary>
    static float[] CleanTokenMean(ClipModel model, ISparseAutoencoder sae, string hook, ShapesWorldGenerator world, TypographicConfig config)
    {
        using var scope = NewDisposeScope();
        var (_, cleanScenes) = AttackScenes.Pairs(world, config.CalibrationSeed, config.CalibrationImages);
        var sum = zeros(sae.Config.DSae, dtype: ScalarType.Float64);
        long tokens = 0;
        for (var at = 0; at < cleanScenes.Count; at += config.BatchSize)
        {
            using var inner = NewDisposeScope();
            using var batch = world.Batch(cleanScenes.Skip(at).Take(config.BatchSize).ToList(), model.LogitScale.device);
            var z = HookLatents.Encode(model, sae, hook, batch.Images); // [B, T, m]
            sum.add_(z.reshape(-1, z.shape[^1]).to(ScalarType.Float64).sum([0]));
            tokens += z.shape[0] * z.shape[1];
        }
        return sum.div(S((double)tokens)).to(ScalarType.Float32).data<float>().ToArray();
    }

    /// <summary>Each scene's prediction on the attribute its word names, and the truth.</summary>
    sealed class Judge(IReadOnlyList<Scene> scenes)
    {
        public int[] Truth { get; } = scenes.Select(s => s.Objects[0].Value(s.Overlay!.Attribute)).ToArray();

        public IReadOnlyList<int> Predictions(Dictionary<ObjectAttribute, Tensor> probs)
        {
            var argmax = probs.ToDictionary(kv => kv.Key, kv => kv.Value.argmax(-1).data<long>().ToArray());
            return scenes.Select((s, i) => (int)argmax[s.Overlay!.Attribute][i]).ToList();
        }

        /// <summary>The mean probability given to each scene's true value of the attribute its word names.</summary>
        public double MeanTrueProbability(Dictionary<ObjectAttribute, Tensor> probs)
        {
            var rows = probs.ToDictionary(kv => kv.Key, kv => (Width: (int)kv.Value.shape[1], Values: kv.Value.cpu().data<float>().ToArray()));
            return scenes.Select((s, i) =>
            {
                var (width, values) = rows[s.Overlay!.Attribute];
                return (double)values[i * width + Truth[i]];
            }).Average();
        }
    }
}
