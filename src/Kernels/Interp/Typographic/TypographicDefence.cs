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
        SaeLatents.CheckTokens(model, hook, config.Tokens);
        var world = AttackScenes.Generator(model.Config.Vision.ImageSize);
        using var scope = NewDisposeScope();

        using var probe = new ZeroShotProbe(model, tokenizer, Judged);
        var (calibrationAttacked, calibrationClean) = AttackScenes.Pairs(world, config.CalibrationSeed, config.CalibrationImages);
        using var calAttacked = world.Batch(calibrationAttacked);
        using var calClean = world.Batch(calibrationClean);
        var (attackedScenes, cleanScenes) = AttackScenes.Pairs(world, config.EvalSeed, config.EvalImages);
        using var attacked = world.Batch(attackedScenes);
        using var clean = world.Batch(cleanScenes);
        using var trueWord = world.Batch(AttackScenes.TrueWordTwins(attackedScenes));
        var judge = new Judge(model, probe, hook, attackedScenes, config.BatchSize, cancel);
        var run = Defend(model, sae, hook, config,
            new TypographicImages(calAttacked.Images, calClean.Images), new Judge(model, probe, hook, calibrationAttacked, config.BatchSize, cancel),
            new TypographicImages(attacked.Images, clean.Images, trueWord.Images), judge, progress, cancel);

        var written = attackedScenes.Select(s => s.Overlay!.Value).ToList();
        TypographicAccuracy Accuracy(ObjectAttribute? attribute) => run.Accuracy(judge.Truth, written,
            Enumerable.Range(0, attackedScenes.Count).Where(i => attribute is null || attackedScenes[i].Overlay!.Attribute == attribute).ToList(), attribute);
        return new TypographicResult(config, hook, run.Live.Count, run.Chosen, run.Auroc, Accuracy(null), Judged.Select(a => Accuracy(a)).ToList());
    }

    /// <summary>The defence on any images: text-reading features chosen on <paramref name="calibration"/> (by
    /// <see cref="TypographicConfig.Selection"/>), then the evaluation images classified clean, attacked, with the true
    /// word, with the chosen features suppressed, with <see cref="TypographicConfig.RandomTrials"/> sets of as many random
    /// live features suppressed, and through the SAE's reconstruction alone.</summary>
    public static TypographicPredictions Defend(ClipModel model, ISparseAutoencoder sae, string hook, TypographicConfig config,
        TypographicImages calibration, ITypographicJudge calibrationJudge, TypographicImages evaluation, ITypographicJudge evaluationJudge,
        Action<double, string>? progress = null, CancellationToken cancel = default)
    {
        config.Validate();
        SaeLatents.CheckTokens(model, hook, config.Tokens);
        using var scope = NewDisposeScope();
        var (chosen, auroc, live) = RankTextFeatures(model, sae, hook, calibration, calibrationJudge, config, cancel);
        progress?.Invoke(0.3, $"text features {string.Join(",", chosen)} (AUROC {string.Join(",", auroc.Select(a => a.ToString("F2")))})");

        var cleanMean = config.Suppression == TextSuppression.CleanMean ? CleanTokenMean(model, sae, hook, calibration.Clean, config) : null;
        HookFn Suppress(IReadOnlyList<int> features) => SaeSplice.Hook(sae, SpliceMode.WithError, SaeSplice.OnTokens(cleanMean is null
            ? SaeSplice.Zero(sae, features)
            : SaeSplice.SetTo(sae, features, features.Select(f => cleanMean[f]).ToList()), config.Tokens, hook));

        IReadOnlyList<int> Predict(Tensor images, HookFn? fn)
        {
            cancel.ThrowIfCancellationRequested();
            return evaluationJudge.Predictions(images, fn);
        }
        var predictions = new Dictionary<string, IReadOnlyList<int>>
        {
            ["clean"] = Predict(evaluation.Clean, null),
            ["attacked"] = Predict(evaluation.Attacked, null),
        };
        if (evaluation.TrueWord is { } trueWord) predictions["trueWord"] = Predict(trueWord, null);
        predictions["suppressed"] = Predict(evaluation.Attacked, Suppress(chosen));
        predictions["cleanSuppressed"] = Predict(evaluation.Clean, Suppress(chosen));
        predictions["reconClean"] = Predict(evaluation.Clean, SaeSplice.Hook(sae, SpliceMode.ReconstructionOnly));
        predictions["reconAttacked"] = Predict(evaluation.Attacked, SaeSplice.Hook(sae, SpliceMode.ReconstructionOnly));
        progress?.Invoke(0.6, "suppressed chosen features");
        var pool = live.Except(chosen).ToList();
        var rng = new Random((int)(config.Seed ^ (config.Seed >> 32)));
        var randomAttacked = new List<IReadOnlyList<int>>();
        var randomClean = new List<IReadOnlyList<int>>();
        for (var trial = 0; trial < config.RandomTrials; trial++)
        {
            var set = pool.OrderBy(_ => rng.Next()).Take(chosen.Count).ToList();
            randomAttacked.Add(Predict(evaluation.Attacked, Suppress(set)));
            randomClean.Add(Predict(evaluation.Clean, Suppress(set)));
            progress?.Invoke(0.6 + 0.4 * (trial + 1) / config.RandomTrials, $"random trial {trial + 1}/{config.RandomTrials}");
        }
        return new TypographicPredictions(chosen, auroc, live, predictions, randomAttacked, randomClean);
    }

    /// <summary>Live features ranked on the calibration split by <see cref="TypographicConfig.Selection"/>: how well their
    /// largest latent per image separates attacked from clean images, or what zeroing each alone regains; the best TopK.</summary>
    static (List<int> Chosen, List<double> Auroc, List<int> Live) RankTextFeatures(ClipModel model, ISparseAutoencoder sae, string hook,
        TypographicImages calibration, ITypographicJudge judge, TypographicConfig config, CancellationToken cancel)
    {
        using var scope = NewDisposeScope();
        var attackedCount = (int)calibration.Attacked.shape[0];
        var scores = cat([SaeLatents.PerImageMax(model, sae, hook, calibration.Attacked, config.BatchSize, config.Tokens),
            SaeLatents.PerImageMax(model, sae, hook, calibration.Clean, config.BatchSize, config.Tokens)], 0).t().contiguous();
        var m = (int)scores.shape[0];
        var n = (int)scores.shape[1];
        var values = scores.cpu().data<float>().ToArray();
        var labels = Enumerable.Range(0, n).Select(i => i < attackedCount).ToArray();
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
            : ByEffect(sae, hook, judge, calibration.Attacked, byAuroc.Take(config.EffectCandidates).ToList(), config, cancel);
        return (best.Select(b => b.Feature).ToList(), best.Select(b => b.Auroc).ToList(), live);
    }

    /// <summary>The TopK candidates whose zeroing alone raises the attacked calibration images' mean probability of the
    /// true value most (ranked by that gain, whatever its sign: the held-out evaluation judges them).</summary>
    static List<(int Feature, double Auroc)> ByEffect(ISparseAutoencoder sae, string hook, ITypographicJudge judge, Tensor attacked,
        IReadOnlyList<(int Feature, double Auroc)> candidates, TypographicConfig config, CancellationToken cancel)
    {
        double TrueProbability(HookFn? fn)
        {
            cancel.ThrowIfCancellationRequested();
            return judge.MeanTrueProbability(attacked, fn);
        }
        var baseline = TrueProbability(SaeSplice.Hook(sae, SpliceMode.WithError));
        return candidates
            .Select(c => (c.Feature, c.Auroc, Gain: TrueProbability(SaeSplice.Hook(sae, SpliceMode.WithError, SaeSplice.OnTokens(SaeSplice.Zero(sae, [c.Feature]), config.Tokens, hook))) - baseline))
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

    /// <summary>Each feature's mean latent over every selected token of the clean calibration images.</summary>
    static float[] CleanTokenMean(ClipModel model, ISparseAutoencoder sae, string hook, Tensor clean, TypographicConfig config)
    {
        using var scope = NewDisposeScope();
        var sum = zeros(sae.Config.DSae, dtype: ScalarType.Float64, device: sae.Device); // summed where the latents are
        long tokens = 0;
        for (long at = 0; at < clean.shape[0]; at += config.BatchSize)
        {
            using var inner = NewDisposeScope();
            var z = HookLatents.Encode(model, sae, hook, clean.narrow(0, at, Math.Min(config.BatchSize, clean.shape[0] - at)).to(model.LogitScale.device), tokens: config.Tokens); // [B, T, m], selected tokens
            sum.add_(z.reshape(-1, z.shape[^1]).to(ScalarType.Float64).sum([0]));
            tokens += z.shape[0] * z.shape[1];
        }
        return sum.div(S((double)tokens)).to(ScalarType.Float32).cpu().data<float>().ToArray();
    }

    /// <summary>Each scene's prediction on the attribute its word names, and the truth.</summary>
    sealed class Judge(ClipModel model, ZeroShotProbe probe, string hook, IReadOnlyList<Scene> scenes, int batchSize, CancellationToken cancel) : ITypographicJudge
    {
        public IReadOnlyList<int> Truth { get; } = scenes.Select(s => s.Objects[0].Value(s.Overlay!.Attribute)).ToArray();

        public IReadOnlyList<int> Predictions(Tensor images, HookFn? fn)
        {
            using var inner = NewDisposeScope();
            var probs = Probabilities(model, probe, hook, images, fn, batchSize, cancel);
            var argmax = probs.ToDictionary(kv => kv.Key, kv => kv.Value.argmax(-1).cpu().data<long>().ToArray());
            return scenes.Select((s, i) => (int)argmax[s.Overlay!.Attribute][i]).ToList();
        }

        /// <summary>The mean probability given to each scene's true value of the attribute its word names.</summary>
        public double MeanTrueProbability(Tensor images, HookFn? fn)
        {
            using var inner = NewDisposeScope();
            var probs = Probabilities(model, probe, hook, images, fn, batchSize, cancel);
            var rows = probs.ToDictionary(kv => kv.Key, kv => (Width: (int)kv.Value.shape[1], Values: kv.Value.cpu().data<float>().ToArray()));
            return scenes.Select((s, i) =>
            {
                var (width, values) = rows[s.Overlay!.Attribute];
                return (double)values[i * width + Truth[i]];
            }).Average();
        }
    }
}
