using System.Globalization;
using MMInterp.Kernels.Activations;
using MMInterp.Kernels.Extraction;
using MMInterp.Kernels.Interp.Features;
using MMInterp.Kernels.IO;
using MMInterp.Kernels.Models.Diffusion;
using MMInterp.Kernels.Sae;
using MMInterp.Kernels.Sae.Training;
using MMInterp.Kernels.ShapesWorld;
using MMInterp.Kernels.Tensors;
using static MMInterp.Kernels.Tensors.Scalars;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Interp.Diffusion;

/// <summary>Timestep-resolved activations of one hook, per image: [images, tokens, d] per level, and the scenes.</summary>
public sealed record TimestepImageActivations(IReadOnlyDictionary<double, Tensor> ByLevel, IReadOnlyList<Scene> Scenes) : IDisposable
{
    /// <summary>All tokens of all images as SAE rows [images * tokens, d].</summary>
    public Tensor Rows(double t) => ByLevel[t].reshape(-1, ByLevel[t].shape[^1]);

    public void Dispose()
    {
        foreach (var t in ByLevel.Values) t.Dispose();
    }
}

/// <summary>Trains one SAE per noise level on the denoiser's activations at a hook (SaeTrainer, unchanged), measures
/// held-out reconstruction per level, and how early single features decode each ground-truth attribute.</summary>
public static class TimestepSaes
{
    /// <summary>Decodable by a feature = held-out AUROC at least this (well above the ~0.6 a best-of-many pick reaches by chance).</summary>
    public const double DecodableAuroc = 0.9;

    /// <summary>Collects activations, trains, evaluates and writes <paramref name="directory"/> (see <see cref="TimestepSaeResult"/>).</summary>
    public static TimestepSaeResult Train(IZooDenoiser bundle, TimestepSaeConfig config, string directory, Action<double, string>? progress = null)
    {
        var c = config.Validate(bundle);
        progress?.Invoke(0, "activations");
        var half = c.TrainImages / 2;
        var hook = c.Hook!;
        using var trainCaptioned = Collect(bundle, hook, c.Timesteps, half, c.Seed, CaptionConditioning.Caption, c.Prompts);
        using var trainNull = Collect(bundle, hook, c.Timesteps, c.TrainImages - half, c.Seed + 1, CaptionConditioning.Null);
        using var testCaptioned = Collect(bundle, hook, c.Timesteps, c.TestImages, c.Seed + 2, CaptionConditioning.Caption, c.Prompts);
        using var testNull = Collect(bundle, hook, c.Timesteps, c.TestImages, c.Seed + 3, CaptionConditioning.Null);
        var train = c.Timesteps.ToDictionary(t => t, t => cat([trainCaptioned.Rows(t), trainNull.Rows(t)], 0));
        var test = c.Timesteps.ToDictionary(t => t, t => cat([testCaptioned.Rows(t), testNull.Rows(t)], 0));
        try
        {
            // Half the images captioned, each once: the key says so (@c=half), as an extraction key would.
            var levels = Fit(hook, train, test, c, directory, (p, n) => progress?.Invoke(0.1 + 0.8 * p, n), CaptionConditioning.Half);
            progress?.Invoke(0.9, "feature decodability");
            using var set = TimestepSaeSet.Load(directory);
            var decodability = Decodability(set, trainNull, testNull);
            var d = (int)train[c.Timesteps[0]].shape[1];
            TimestepSaeSet.WriteManifest(directory, new TimestepSaeSet.Manifest(TimestepSaeSet.Format, hook, d, c.Width(d), c, levels, decodability));
            return new TimestepSaeResult(hook, d, c.Width(d), levels, decodability, directory);
        }
        finally
        {
            foreach (var t in train.Values.Concat(test.Values)) t.Dispose();
        }
    }

    /// <summary>Trains one SAE per level on <paramref name="train"/> rows [n, d] and scores it on <paramref name="test"/>;
    /// writes directory/t0.500/sae.safetensors (metadata names hook, level and the rows' <paramref name="conditioning"/>) and
    /// the manifest (no decodability).</summary>
    public static IReadOnlyList<TimestepSaeLevel> Fit(string hook, IReadOnlyDictionary<double, Tensor> train, IReadOnlyDictionary<double, Tensor> test,
        TimestepSaeConfig config, string directory, Action<double, string>? progress = null, CaptionConditioning conditioning = CaptionConditioning.Null)
    {
        var levels = new List<TimestepSaeLevel>();
        var ts = config.Timesteps;
        config = config with { Hook = hook };
        foreach (var t in ts)
        {
            if (!train.ContainsKey(t) || !test.ContainsKey(t))
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"no activations for noise level {t}: train and test must hold every level of the config"), nameof(train));
            CheckRows(train[t], new TimestepKey(hook, t, conditioning), "training");
            CheckRows(test[t], new TimestepKey(hook, t, conditioning), "test");
        }
        var d = (int)train[ts[0]].shape[1];
        if (ts.Any(t => train[t].shape[1] != d || test[t].shape[1] != d)) throw new ArgumentException("every level's activations must have the same width", nameof(train));
        Directory.CreateDirectory(directory);
        for (var i = 0; i < ts.Count; i++)
        {
            var key = new TimestepKey(hook, ts[i], conditioning);
            progress?.Invoke((double)i / ts.Count, $"SAE {key.Name}");
            var name = string.Create(CultureInfo.InvariantCulture, $"t{ts[i]:0.000}");
            var member = new SweepMember(name,
                new SaeConfig { Kind = config.Kind, DIn = d, DSae = config.Width(d), K = config.K, NormalizeInput = true, Seed = config.Seed + i },
                new SaeTrainingConfig
                {
                    Lr = config.LearningRate, LrWarmupSteps = config.Steps / 20, LrDecaySteps = config.Steps / 5,
                    DeadFeatures = config.Kind is SaeKind.TopK or SaeKind.BatchTopK ? DeadFeatureStrategy.AuxK : DeadFeatureStrategy.None,
                    AuxK = Math.Max(1, config.Width(d) / 2), DeadAfterRows = 20L * config.BatchSize,
                });
            var sweep = new SweepConfig
            {
                Members = [member], BatchSize = config.BatchSize, TotalSteps = config.Steps, Seed = config.Seed + i,
                LogEvery = config.Steps, CheckpointEvery = 0, HistogramEachLog = false,
            };
            using (var source = new InMemoryActivationSource(train[ts[i]], config.Seed + i))
            {
                var run = SaeTrainer.Run(sweep, source, directory, new TrainerHooks { Resume = false })[0];
                var weights = run.WeightsPath ?? throw new InvalidOperationException($"SAE {key.Name} did not complete");
                Label(weights, key);
            }
            var file = Path.Combine(name, "sae.safetensors");
            using var sae = SaeCheckpoint.LoadSae(Path.Combine(directory, file));
            var (fvu, overZero, l0, dead) = Reconstruction(sae, test[ts[i]]);
            levels.Add(new TimestepSaeLevel(ts[i], key.Name, file, fvu, 1 - fvu, overZero, l0, dead));
        }
        TimestepSaeSet.WriteManifest(directory, new TimestepSaeSet.Manifest(TimestepSaeSet.Format, hook, d, config.Width(d), config, levels, null));
        return levels;
    }

    /// <summary>Trains from a sharded timestep-resolved extraction (an activation set of timestep keys, or an older
    /// `diffusion extract` directory, <see cref="TimestepActivations.Open"/>):
    /// each level's set is read whole; its last <paramref name="testShare"/> of rows (the last images, as rows are
    /// stored image by image) is held out. No feature decodability: the sets carry no labels. The config's hook must be one of the extraction's hooks;
    /// the SAEs are labelled with the extraction's conditioning (one per extraction).</summary>
    public static IReadOnlyList<TimestepSaeLevel> FitExtraction(string extractionDirectory, TimestepSaeConfig config, string directory,
        double testShare = 0.2, Action<double, string>? progress = null)
    {
        var hook = config.Hook ?? throw new ArgumentException("Hook must name the extracted hook", nameof(config));
        if (!(testShare > 0 && testShare < 1)) throw new ArgumentException($"testShare must be in (0, 1), got {testShare}", nameof(testShare));
        var conditioning = TimestepActivations.ConditioningOf(extractionDirectory, hook);
        var train = new Dictionary<double, Tensor>();
        var test = new Dictionary<double, Tensor>();
        try
        {
            foreach (var t in config.Timesteps)
            {
                var reader = TimestepActivations.Open(extractionDirectory, new TimestepKey(hook, t, conditioning));
                var shards = Enumerable.Range(0, reader.Index.Shards.Count).Select(reader.ReadShard).ToList();
                using var rows = cat(shards, 0);
                foreach (var s in shards) s.Dispose();
                var n = rows.shape[0];
                var held = Math.Max(1, (long)(n * testShare));
                train[t] = rows.narrow(0, 0, n - held).clone();
                test[t] = rows.narrow(0, n - held, held).clone();
            }
            return Fit(hook, train, test, config, directory, progress, conditioning);
        }
        finally
        {
            foreach (var x in train.Values.Concat(test.Values)) x.Dispose();
        }
    }

    /// <summary>Activations at <paramref name="hook"/> for held-out single-object images noised to each level (same noise per
    /// image at every level), conditioned as <paramref name="conditioning"/> says.</summary>
    public static TimestepImageActivations Collect(IZooDenoiser bundle, string hook, IReadOnlyList<double> timesteps, int images, long seed, CaptionConditioning conditioning,
        IReadOnlyList<string>? prompts = null)
    {
        var parts = timesteps.ToDictionary(t => t, _ => new List<Tensor>());
        var scenes = new List<Scene>();
        var config = new TimestepExtractionConfig { Hooks = [hook], Timesteps = timesteps, Images = images, Seed = seed, Conditioning = conditioning, Prompts = prompts };
        TimestepActivations.Run(bundle, config, (key, a, batch) =>
        {
            parts[key.T].Add(a.to_type(ScalarType.Float32).cpu().clone().DetachFromDisposeScope()); // a copy: the cache owns a
            if (key.T == timesteps[0]) scenes.AddRange(batch.Scenes);
        });
        return new TimestepImageActivations(parts.ToDictionary(kv => kv.Key, kv =>
        {
            var all = cat(kv.Value, 0);
            foreach (var p in kv.Value) p.Dispose();
            return all;
        }), scenes);
    }

    /// <summary>Held-out FVU (against the rows' mean), squared error over the rows' squared norm, L0 and never-firing share.</summary>
    public static (double Fvu, double ErrorOverZero, double L0, double DeadShare) Reconstruction(ISparseAutoencoder sae, Tensor rows)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var x = rows.to(sae.Device).to_type(ScalarType.Float32);
        var z = sae.Encode(x);
        var error = Sq(x - sae.Decode(z)).sum().item<float>();
        var variance = Sq(x - x.mean([0], keepdim: true)).sum().item<float>();
        var energy = Sq(x).sum().item<float>();
        var fires = z.gt(S(0.0));
        var l0 = fires.sum([1]).to_type(ScalarType.Float32).mean().item<float>();
        var dead = 1 - fires.any(0).to_type(ScalarType.Float32).mean().item<float>();
        Release();
        if (!double.IsFinite(error)) throw new InvalidOperationException("the SAE reconstruction is not finite (NaN or inf): check the SAE weights");
        return (error / variance, error / energy, l0, dead);
    }

    /// <summary>Per image, each feature's largest latent over the image's tokens: [images, m] as a CPU array.</summary>
    public static float[,] PerImageMax(ISparseAutoencoder sae, Tensor imageActivations)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var (n, tokens) = (imageActivations.shape[0], imageActivations.shape[1]);
        var z = sae.Encode(imageActivations.reshape(n * tokens, -1).to(sae.Device).to_type(ScalarType.Float32));
        if (!z.isfinite().all().item<bool>()) throw new InvalidOperationException("the SAE produced non-finite latents (NaN or inf): check the SAE weights");
        var m = z.shape[1];
        var values = z.view(n, tokens, m).amax([1]).cpu().contiguous().data<float>().ToArray();
        var result = new float[n, m];
        Buffer.BlockCopy(values, 0, result, 0, values.Length * sizeof(float));
        return result;
    }

    /// <summary>[images, values] one-hot of an attribute of each scene's first object.</summary>
    public static bool[,] Labels(IReadOnlyList<Scene> scenes, ObjectAttribute attribute)
    {
        var labels = new bool[scenes.Count, AttributeWords.Count(attribute)];
        for (var i = 0; i < scenes.Count; i++) labels[i, scenes[i].Objects[0].Value(attribute)] = true;
        return labels;
    }

    static FeatureDecodability Decodability(TimestepSaeSet set, TimestepImageActivations select, TimestepImageActivations test)
    {
        var attributes = Enum.GetValues<ObjectAttribute>();
        var auroc = attributes.ToDictionary(a => a, _ => new List<double>());
        foreach (var t in set.Timesteps)
        {
            var sae = set.For(t);
            var chooseScores = PerImageMax(sae, select.ByLevel[t]);
            var testScores = PerImageMax(sae, test.ByLevel[t]);
            foreach (var a in attributes)
            {
                var choose = Auroc.Matrix(chooseScores, Labels(select.Scenes, a));
                var held = Auroc.Matrix(testScores, Labels(test.Scenes, a));
                var perValue = new List<double>();
                for (var v = 0; v < choose.GetLength(1); v++)
                {
                    var best = BestFeature(choose, v);
                    if (best >= 0 && !double.IsNaN(held[best, v])) perValue.Add(held[best, v]);
                }
                auroc[a].Add(perValue.Count == 0 ? double.NaN : perValue.Average());
            }
        }
        var earliest = attributes.ToDictionary(a => a, a => TemporalAnalysis.Earliest(set.Timesteps, auroc[a], DecodableAuroc));
        return new FeatureDecodability(set.Timesteps, DecodableAuroc, auroc.ToDictionary(kv => kv.Key, kv => (IReadOnlyList<double>)kv.Value), earliest);
    }

    /// <summary>The feature with the highest AUROC for concept column <paramref name="concept"/> (-1 when all are NaN).</summary>
    public static int BestFeature(double[,] auroc, int concept)
    {
        var best = -1;
        for (var f = 0; f < auroc.GetLength(0); f++)
            if (!double.IsNaN(auroc[f, concept]) && (best < 0 || auroc[f, concept] > auroc[best, concept])) best = f;
        return best;
    }

    static void CheckRows(Tensor rows, TimestepKey key, string split)
    {
        if (rows.dim() != 2 || rows.shape[0] == 0) throw new ArgumentException($"{split} activations for {key.Name} must be a non-empty [rows, d] tensor, got [{string.Join(",", rows.shape)}]");
        using var finite = rows.isfinite().all();
        if (!finite.item<bool>()) throw new ArgumentException($"{split} activations for {key.Name} hold NaN or inf: the denoiser or its input is broken");
    }

    /// <summary>Adds hook, noise level and conditioning to the SAE file's metadata, so the weights say where they belong wherever they go.</summary>
    static void Label(string weights, TimestepKey key)
    {
        var (tensors, meta) = SafeTensors.Load(weights);
        try
        {
            meta["hook"] = key.Hook;
            meta["timestep"] = key.T.ToString("R", CultureInfo.InvariantCulture);
            meta["conditioning"] = CaptionConditionings.Word(key.Conditioning);
            meta["timestep_key"] = key.Name;
            SafeTensors.Save(weights, tensors, meta);
        }
        finally
        {
            foreach (var t in tensors.Values) t.Dispose();
        }
    }
}
