using System.Globalization;
using MMInterp.Kernels.Interp.Features;
using MMInterp.Kernels.Interp.Steering;
using MMInterp.Kernels.Interp.Typographic;
using MMInterp.Kernels.Plots;
using MMInterp.Kernels.Sae;
using MMInterp.Kernels.Text;
using F = MMInterp.Kernels.Interp.DataStudy.ClipDataStudyFigures;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Interp.DataStudy;

/// <summary>
/// The CLIP SAE study on a user's model and images: what can be measured without ShapesWorld's ground truth, each
/// beside its control. Feature statistics, top-activating images with patch heatmaps and activation histograms; free
/// labels against the vocabulary (controls: random directions; on a labelled dataset also each label's own
/// mean-difference direction, the labeller's positive control); concept recovery against the dataset's labels (control:
/// an untrained SAE); steering judged by zero-shot classification over the labels or the vocabulary (controls: random
/// directions of equal norm, the SAE inserted with nothing clamped); the typographic attack with words drawn in a real
/// font (control: the true word), and the defence (control: random features; the clean cost reported). It reuses the
/// ShapesWorld study's kernels, fed the user's images.
/// </summary>
public static class ClipDataStudy
{
    /// <param name="progress">completion in [0, 1] and what is being done</param>
    public static ClipDataStudyResult Run(ClipDataStudyInputs inputs, ClipDataStudyOptions? options = null, Action<double, string>? progress = null,
        CancellationToken cancel = default)
    {
        var o = (options ?? ClipDataStudyOptions.Default).Validate();
        var (model, tokenizer, sae, hook, dataset, preprocessor, vocabulary, pictureDir) = inputs;
        HookLatents.CheckHook(model, hook);
        SaeLatents.CheckHook(model, sae, hook);
        if (preprocessor.OutputSize != model.Config.Vision.ImageSize)
            throw new ArgumentException($"the preprocessor makes {preprocessor.OutputSize}px images but the model reads {model.Config.Vision.ImageSize}px");
        using var overlay = o.TypographicImages > 0 ? new WordOverlay(o.FontPath, o.WordScale) : null; // a missing font fails before any work
        Directory.CreateDirectory(pictureDir);
        void Report(double at, string what) => progress?.Invoke(Math.Clamp(at, 0, 1), what);

        Report(0, "decoding and preprocessing images");
        using var images = StudyImages.Load(dataset, preprocessor, o.Images, o.HeldOutImages, o.Seed, o.BatchSize,
            (done, wanted) => { if (done % 64 == 0) Report(0.1 * done / wanted, $"decoded {done}/{wanted} images"); }, cancel);
        var studyLabels = images.Study.Select(i => i.Label).ToList();
        var labelled = dataset.LabelNames.Count >= 2 && studyLabels.Where(l => l is not null).Distinct().Count() >= 2;
        var classes = labelled ? new Vocabulary($"{dataset.Name} labels", dataset.LabelNames, vocabulary.Templates) : vocabulary;
        var device = model.LogitScale.device;
        var figures = new Dictionary<string, double>
        {
            [F.ImagesStudied] = images.Study.Count, [F.ImagesHeldOut] = images.HeldOut.Count, [F.ImagesSkipped] = images.Skipped.Count,
        };
        var notes = new Dictionary<string, string>
        {
            ["images"] = $"{images.Study.Count} study and {images.HeldOut.Count} held-out images of '{dataset.Name}' ({dataset.Items.Count} items; {images.Skipped.Count} undecodable, skipped)",
            ["classes"] = labelled ? $"steering and the attack are judged over the dataset's {classes.Concepts.Count} labels" : $"the dataset has no labels: steering and the attack are judged over the vocabulary '{vocabulary.Name}' ({vocabulary.Concepts.Count} concepts)",
        };
        var pictures = new Dictionary<string, string>();

        // 1. Activations on the study images (and each image's mean token, for the labels' own directions).
        cancel.ThrowIfCancellationRequested();
        Report(0.1, "feature activations");
        var pooled = new List<Tensor>();
        var activations = FeatureActivations.Accumulate(model, sae, hook, images.Study.Count, images.StudyBatches(o.BatchSize, device),
            labelled ? a => pooled.Add(a.reshape(a.shape[0], -1, a.shape[^1]).mean([1]).to(float32).cpu().DetachFromDisposeScope()) : null);
        var m = activations.Features;
        var live = Enumerable.Range(0, m).Where(f => activations.TokenDensity[f] > 0).ToList();
        figures[F.LiveFeatures] = live.Count;
        figures[F.MeanImageDensity] = live.Count == 0 ? double.NaN : live.Average(activations.ImageDensity);
        if (live.Count == 0) throw new InvalidOperationException($"no feature of the SAE fires on the {images.Study.Count} study images at {hook}: check that the SAE was trained on this model and hook");

        // 2. Concept recovery against the labels, with an untrained SAE of the same shape as control.
        ConceptSet? concepts = null;
        ConceptRecoveryResult? recovery = null;
        if (labelled)
        {
            Report(0.2, "concept recovery against the dataset's labels");
            concepts = ConceptSet.FromLabels(dataset.LabelNames, studyLabels);
            recovery = ConceptRecovery.Compute(activations, concepts, o.Threshold);
            using var fresh = SaeFactory.Create(sae.Config with { Seed = sae.Config.Seed + 99 }, sae.Device);
            fresh.NormScale = sae.NormScale;
            var freshRecovery = ConceptRecovery.Compute(FeatureActivations.Accumulate(model, fresh, hook, images.Study.Count, images.StudyBatches(o.BatchSize, device)), concepts, o.Threshold);
            figures[F.ConceptRecovery] = recovery.Recovery;
            figures[F.ConceptRecoveryRandomSae] = freshRecovery.Recovery;
            figures[F.MeanBestAuroc] = recovery.PerConcept.Average(c => c.Auroc);
            figures[F.MeanBestAurocRandomSae] = freshRecovery.PerConcept.Average(c => c.Auroc);
            figures[F.DetectingFeatures] = recovery.Detecting.Count();
        }

        // 3. Free labels of the best label detectors, then of live features at random, pushed on held-out images.
        cancel.ThrowIfCancellationRequested();
        Report(0.3, "free labels");
        var rng = new Random((int)(o.Seed ^ (o.Seed >> 32)));
        var detectors = recovery is null ? [] : recovery.Detecting.OrderByDescending(f => f.Auroc).ThenBy(f => f.Feature).Select(f => f.Feature).Take(o.LabelFeatures).ToList();
        var labelledIds = detectors.Concat(live.Except(detectors).OrderBy(_ => rng.Next())).Take(o.LabelFeatures).Order().ToList();
        var labelConfig = FreeLabelConfig.Default with
        {
            BaselineImages = Math.Min(o.BaselineImages, images.HeldOut.Count), ReferenceDirections = o.ReferenceDirections,
            ReferenceSeed = o.Seed + 7_777, MaxBatchImages = Math.Max(FreeLabelConfig.Default.MaxBatchImages, o.BaselineImages),
        };
        var baseline = images.HeldOutPixels;
        FreeLabel[] freeLabels, randomLabels;
        using var vocabularyText = Embed(model, tokenizer, vocabulary); // once: ImageNet's 1000 classes x 80 templates are many prompts
        using (var scope = NewDisposeScope())
        {
            var decoder = FreeLabeler.DecoderDirections(sae);
            var chosen = decoder.index_select(0, tensor(labelledIds.Select(i => (long)i).ToArray()));
            freeLabels = FreeLabeler.LabelDirections(model, hook, chosen, labelledIds, vocabulary, vocabularyText, labelConfig, baseline);
            Report(0.38, "free labels: random-direction control");
            var random = FreeLabeler.RandomDirections(labelledIds.Count, sae.Config.DIn, o.Seed + 99);
            randomLabels = FreeLabeler.LabelDirections(model, hook, random, labelledIds, vocabulary, vocabularyText, labelConfig, baseline);
            if (recovery is not null && concepts is not null)
            {
                var kept = labelledIds.ToHashSet();
                var restricted = recovery with { PerFeature = recovery.PerFeature.Where(f => kept.Contains(f.Feature)).ToList() };
                IReadOnlyCollection<string> groups = [ConceptSet.LabelGroup];
                var accuracy = FreeLabelAccuracy.Compute(restricted, freeLabels, vocabulary.Concepts, groups);
                figures[F.FreeLabelAccuracy] = accuracy.Accuracy;
                figures[F.FreeLabelChance] = accuracy.Chance;
                figures[F.FreeLabelAccuracyRandom] = FreeLabelAccuracy.Compute(restricted, randomLabels, vocabulary.Concepts, groups).Accuracy;
                Report(0.42, "free labels: the labels' own directions (positive control)");
                using var stackedPooled = cat(pooled, 0);
                var (directions, directionConcepts) = ConceptDirections.FromPooled(stackedPooled, concepts, groups);
                var own = FreeLabeler.LabelDirections(model, hook, directions, Enumerable.Range(0, directionConcepts.Count).ToList(), vocabulary, vocabularyText, labelConfig, baseline);
                figures[F.FreeLabelAccuracyConceptDirections] = ConceptDirections.Score(own, directionConcepts).Accuracy;
                figures[F.DetectorConceptCosine] = ConceptDirections.DetectorCosine(decoder, FreeLabelAccuracy.Scored(restricted, groups), directions, directionConcepts);
                notes["free_labels"] = $"a label-detecting feature (AUROC >= {o.Threshold:0.00}) is named right when its best free label names its label; vocabulary '{vocabulary.Name}' ({vocabulary.Concepts.Count} concepts)";
            }
        }
        foreach (var t in pooled) t.Dispose();
        figures[F.LabelledFeatures] = labelledIds.Count;
        figures[F.FreeLabelScore] = freeLabels.Length == 0 ? double.NaN : freeLabels.Average(l => l.Top[0].Score);
        figures[F.FreeLabelScoreRandom] = randomLabels.Length == 0 ? double.NaN : randomLabels.Average(l => l.Top[0].Score);
        var (agreement, shuffled) = AgreeWithTopImages(model, vocabulary, vocabularyText, activations, images, freeLabels, o);
        figures[F.TopImageAgreement] = agreement;
        figures[F.TopImageAgreementShuffled] = shuffled;

        // 4. Steering judged by zero-shot classification over the labels (or the vocabulary).
        using var classifier = labelled ? new ZeroShotClassifier(model, tokenizer, classes) : new ZeroShotClassifier(model, vocabulary.Concepts, vocabularyText);
        // On a labelled dataset, images without a label cannot be judged: steering and the attack use the labelled ones.
        var judged = Enumerable.Range(0, images.HeldOut.Count).Where(i => !labelled || images.HeldOut[i].Label is not null).ToList();
        using var judgedPixels = images.HeldOutPixels.index_select(0, tensor(judged.Select(i => (long)i).ToArray()));
        var heldOutTruth = labelled ? judged.Select(i => images.HeldOut[i].Label!.Value).ToList() : null;
        LabelSteeringResult? steering = null;
        if (judged.Count < 4) notes["held_out"] = $"only {judged.Count} held-out images carry a label: steering and the attack need at least 4";
        if (o.SteerFeatures > 0 && judged.Count >= 4)
        {
            cancel.ThrowIfCancellationRequested();
            Report(0.5, "steering");
            var targets = SteeringTargets(recovery, freeLabels, classes, o);
            var tested = targets.Keys.OrderBy(_ => rng.Next()).Take(o.SteerFeatures).ToDictionary(f => f, f => targets[f]);
            var perImage = new float[activations.Images * m];
            Buffer.BlockCopy(activations.MaxPerImage, 0, perImage, 0, perImage.Length * sizeof(float));
            var strength = SteeringCalibration.Strength(perImage, activations.Images, m, 0.99);
            var clamps = tested.Keys.ToDictionary(f => f, f => o.ClampMultiple * strength[f]);
            steering = LabelSteerer.Run(model, sae, hook, classifier, judgedPixels, heldOutTruth, tested, clamps, o.DeltaThreshold, o.FlipThreshold,
                o.Seed, o.BatchSize, (p, what) => Report(0.5 + 0.15 * p, what), cancel);
            figures[F.SteeringTestedFeatures] = steering.Features.Count;
            figures[F.SteerableShare] = steering.SteerableShare;
            figures[F.SteerableShareRandom] = steering.RandomShare;
            figures[F.SteeringFlipRate] = steering.FlipRate;
            figures[F.SteeringFlipRateRandom] = steering.RandomFlipRate;
            figures[F.SteeringDeltaProb] = steering.MeanDelta;
            figures[F.SteeringDeltaProbRandom] = steering.RandomMeanDelta;
            if (labelled)
            {
                figures[F.ZeroShotAccuracy] = steering.Accuracy;
                figures[F.ZeroShotAccuracySaeInserted] = steering.AccuracySaeInserted;
            }
            figures[F.ZeroShotAgreementSaeInserted] = steering.AgreementSaeInserted;
            notes["steering"] = string.Create(CultureInfo.InvariantCulture,
                $"each feature clamped on every token to {o.ClampMultiple}x its p99 activation on the study images, toward {(labelled ? $"the label it detects (AUROC >= {o.MinDetectionAuroc:0.00})" : "its free label")}; steerable: the label's zero-shot probability rises by more than {o.DeltaThreshold:0.00} and {o.FlipThreshold:P0} of the held-out predictions flip to it; control: random directions of equal norm toward the same labels");
            var steerPath = Path.Combine(pictureDir, "steering.png");
            GroupedBarPng.Write(steerPath, ["steerable share", "flip rate"],
                [new("clamped features", [Finite(steering.SteerableShare), Finite(steering.FlipRate)]), new("random directions, equal norm", [Finite(steering.RandomShare), Finite(steering.RandomFlipRate)])],
                $"steering {steering.Features.Count} features at {hook}", "share");
            pictures["steering"] = steerPath;
        }

        // 5. The typographic attack on held-out images, the defence chosen on study images.
        TypographicPredictions? defence = null;
        if (overlay is not null && judged.Count >= 4)
        {
            cancel.ThrowIfCancellationRequested();
            Report(0.65, "typographic attack: drawing words");
            var calRows = Enumerable.Range(0, images.Study.Count).Where(i => !labelled || images.Study[i].Label is not null).Take(o.TypographicCalibrationImages).ToList();
            var evalRows = judged.Take(o.TypographicImages).ToList();
            var calibration = calRows.Select(i => images.Study[i]).ToList();
            var evaluation = evalRows.Select(i => images.HeldOut[i]).ToList();
            using var calPixels = images.StudyPixels.index_select(0, tensor(calRows.Select(i => (long)i).ToArray()));
            using var evalPixels = images.HeldOutPixels.index_select(0, tensor(evalRows.Select(i => (long)i).ToArray()));
            var size = preprocessor.OutputSize;
            using var calSplit = DataTypographic.Build(dataset, preprocessor, overlay, classifier, calibration, calPixels,
                labelled ? calibration.Select(i => i.Label!.Value).ToList() : null, o.Seed, o.BatchSize, size);
            using var evalSplit = DataTypographic.Build(dataset, preprocessor, overlay, classifier, evaluation, evalPixels,
                labelled ? evaluation.Select(i => i.Label!.Value).ToList() : null, o.Seed + 1, o.BatchSize, size);
            var config = TypographicConfig.Default with
            {
                CalibrationImages = calibration.Count, EvalImages = evaluation.Count, TopK = o.TopKText, EffectCandidates = o.TypographicCandidates,
                RandomTrials = o.RandomTrials, BatchSize = o.BatchSize, Seed = o.Seed,
            };
            try
            {
                defence = TypographicDefence.Defend(model, sae, hook, config,
                    calSplit.Pixels, new DataTypographic.Judge(classifier, hook, calSplit.Truth, o.BatchSize),
                    evalSplit.Pixels, new DataTypographic.Judge(classifier, hook, evalSplit.Truth, o.BatchSize),
                    (p, what) => Report(0.7 + 0.15 * p, what), cancel);
            }
            catch (InvalidOperationException e) when (e.Message.StartsWith("no live feature detects the words", StringComparison.Ordinal))
            {
                notes["typographic"] = e.Message;
            }
            if (defence is not null)
            {
                var overall = defence.Accuracy(evalSplit.Truth, evalSplit.Written, Enumerable.Range(0, evaluation.Count).ToList());
                var result = new TypographicResult(config, hook, defence.Live.Count, defence.Chosen, defence.Auroc, overall, []);
                figures[F.TypographicCleanAccuracy] = overall.Clean;
                figures[F.TypographicAttackedAccuracy] = overall.Attacked;
                figures[F.TypographicAttackDrop] = overall.AttackDrop;
                figures[F.TypographicTrueWordAccuracy] = overall.TrueWord;
                figures[F.TypographicReadingDrop] = overall.ReadingDrop;
                figures[F.TypographicFollowsWord] = overall.FollowsWord;
                figures[F.TypographicSuppressedAccuracy] = overall.Suppressed;
                figures[F.TypographicSuppressedAccuracyRandom] = overall.RandomSuppressed;
                figures[F.TypographicRecovered] = result.Recovered ?? double.NaN;
                figures[F.TypographicRecoveredRandom] = result.RandomRecovered ?? double.NaN;
                figures[F.TypographicCleanCost] = overall.CleanCost;
                figures[F.TypographicCleanCostRandom] = overall.RandomCleanCost;
                notes["typographic"] = (labelled ? "accuracy against the images' labels" : "the truth is each image's clean zero-shot class (clean accuracy is 1 by construction)")
                    + $"; a wrong {(labelled ? "label" : "vocabulary")} word drawn in {Path.GetFileName(o.FontPath)}; suppressed features {string.Join(", ", defence.Chosen)} (of the {config.EffectCandidates} best word detectors, those whose zeroing alone helped most on {calibration.Count} study images), judged on {evaluation.Count} held-out images; control: as many random live features"
                    + (result.AttackMaterial ? "" : "; the attack barely changes this model's answers, so recovery is not reported");
                var typoPath = Path.Combine(pictureDir, "typographic.png");
                TypographicPlotPng.Write(result, typoPath);
                pictures["typographic"] = typoPath;
            }
            if (evalSplit.Examples.Count > 0)
            {
                var examplesPath = Path.Combine(pictureDir, "attack_examples.png");
                ImageGridPng.Write(examplesPath, [evalSplit.Examples.Cast<float[]?>().ToList()], size, ["attacked"],
                    evalSplit.Examples.Select((_, i) => $"{classes.Concepts[evalSplit.Written[i]]} / {classes.Concepts[evalSplit.Truth[i]]}").ToList(),
                    "wrong word written / truth", scale: Math.Max(1, 96 / size));
                pictures["attack_examples"] = examplesPath;
            }
        }

        // 6. Pictures: the headline bars and the feature dashboards.
        cancel.ThrowIfCancellationRequested();
        Report(0.88, "pictures");
        if (recovery is not null)
        {
            var path = Path.Combine(pictureDir, "concept_recovery.png");
            ConceptRecoveryPng.Write([new ConceptRecoveryPng.Row(hook, recovery.Recovery, figures[F.FreeLabelAccuracy], figures[F.ConceptRecoveryRandomSae], figures[F.FreeLabelAccuracyRandom])], path);
            pictures["concept_recovery"] = path;
        }
        var labelsPath = Path.Combine(pictureDir, "free_labels.png");
        GroupedBarPng.Write(labelsPath, labelled ? ["top-image agreement", "label accuracy"] : ["top-image agreement"],
            [new("free labels", labelled ? [Finite(agreement), Finite(figures[F.FreeLabelAccuracy])] : [Finite(agreement)]),
             new("control (shuffled / random directions)", labelled ? [Finite(shuffled), Finite(figures[F.FreeLabelAccuracyRandom])] : [Finite(shuffled)])],
            $"free labels of {labelledIds.Count} features against '{vocabulary.Name}'", "share");
        pictures["free_labels"] = labelsPath;

        var byFeature = freeLabels.ToDictionary(l => l.Feature);
        var steeringByFeature = steering?.Features.ToDictionary(t => t.Feature) ?? [];
        var readers = defence?.Chosen.ToHashSet() ?? [];
        var dashboards = DashboardFeatures(recovery, steering, defence, labelledIds, o.Dashboards);
        var featurePictures = new Dictionary<int, Dictionary<string, string>>();
        foreach (var f in dashboards)
        {
            cancel.ThrowIfCancellationRequested();
            featurePictures[f] = Dashboard(model, sae, hook, activations, images, f, recovery, byFeature.GetValueOrDefault(f), pictureDir, o.TopImages);
        }
        var reports = Enumerable.Range(0, m).Select(f =>
        {
            var best = recovery?.PerFeature[f];
            return new DataFeatureReport(f, activations.TokenDensity[f], activations.ImageDensity(f), activations.MeanNonzero[f], activations.ImageActivations(f).Max(),
                best is { Concept: >= 0 } ? dataset.LabelNames[best.Concept] : null, best?.Auroc ?? double.NaN,
                byFeature.TryGetValue(f, out var l) ? l.Top : [], steeringByFeature.GetValueOrDefault(f), readers.Contains(f),
                featurePictures.TryGetValue(f, out var p) ? p : new Dictionary<string, string>());
        }).ToList();
        Report(1, "done");
        return new ClipDataStudyResult(hook, dataset.Name, vocabulary.Name, labelled, o, figures, pictures, reports, images.Skipped, notes);
    }

    /// <summary>Feature -> class index it is steered toward: on a labelled dataset the label it detects (AUROC at least
    /// MinDetectionAuroc), otherwise its free label.</summary>
    static Dictionary<int, int> SteeringTargets(ConceptRecoveryResult? recovery, IReadOnlyList<FreeLabel> freeLabels, Vocabulary classes, ClipDataStudyOptions o)
    {
        if (recovery is not null)
            return recovery.PerFeature.Where(f => f.Concept >= 0 && f.Auroc >= o.MinDetectionAuroc).ToDictionary(f => f.Feature, f => f.Concept);
        var index = classes.Concepts.Select((c, i) => (c, i)).ToDictionary(x => x.c, x => x.i, StringComparer.Ordinal);
        return freeLabels.Where(l => index.ContainsKey(l.Best)).ToDictionary(l => l.Feature, l => index[l.Best]);
    }

    /// <summary>Share of labelled features whose best free label is the zero-shot class (over the vocabulary) that most
    /// of their top study images get; the control pairs each feature's label with the next feature's top images.</summary>
    static (double Agreement, double Shuffled) AgreeWithTopImages(Models.Clip.ClipModel model, Vocabulary vocabulary, Tensor vocabularyText,
        FeatureActivationSet activations, StudyImages images, IReadOnlyList<FreeLabel> labels, ClipDataStudyOptions o)
    {
        var withTop = labels.Select(l => (Label: l, Top: activations.TopImages(l.Feature, o.TopImages))).Where(x => x.Top.Length > 0).ToList();
        if (withTop.Count < 2 || vocabulary.Concepts.Count < 2) return (double.NaN, double.NaN);
        var needed = withTop.SelectMany(x => x.Top).Distinct().Order().ToArray();
        using var classifier = new ZeroShotClassifier(model, vocabulary.Concepts, vocabularyText);
        using var pixels = images.StudyPixels.index_select(0, tensor(needed.Select(i => (long)i).ToArray()));
        var predicted = classifier.Predict(pixels, o.BatchSize);
        var classOf = needed.Select((image, row) => (image, row)).ToDictionary(x => x.image, x => vocabulary.Concepts[predicted[x.row]]);
        var modes = withTop.Select(x => x.Top.Select(i => classOf[i]).GroupBy(c => c).OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal).First().Key).ToList();
        var agree = withTop.Where((x, j) => x.Label.Best == modes[j]).Count();
        var shuffled = withTop.Where((x, j) => x.Label.Best == modes[(j + 1) % modes.Count]).Count();
        return (agree / (double)withTop.Count, shuffled / (double)withTop.Count);
    }

    /// <summary>Features worth a dashboard: the word readers, the steerable ones, the best label detectors, then the
    /// other labelled features.</summary>
    static List<int> DashboardFeatures(ConceptRecoveryResult? recovery, LabelSteeringResult? steering, TypographicPredictions? defence,
        IReadOnlyList<int> labelled, int count)
    {
        var readers = defence?.Chosen.Take(4) ?? [];
        var steerable = steering?.Features.Where(f => f.Steerable).OrderByDescending(f => f.Delta).Select(f => f.Feature).Take(Math.Max(1, count / 4)) ?? [];
        var detectors = recovery?.Detecting.OrderByDescending(f => f.Auroc).Select(f => f.Feature) ?? [];
        return readers.Concat(steerable).Concat(detectors).Concat(labelled).Distinct().Take(count).ToList();
    }

    /// <summary>feature_{f}_top.png (top study images, patches dimmed by the feature's activation) and
    /// feature_{f}_hist.png (its largest activation per study image).</summary>
    static Dictionary<string, string> Dashboard(Models.Clip.ClipModel model, ISparseAutoencoder sae, string hook, FeatureActivationSet activations,
        StudyImages images, int feature, ConceptRecoveryResult? recovery, FreeLabel? label, string dir, int topK)
    {
        var top = activations.TopImages(feature, topK);
        var size = model.Config.Vision.ImageSize;
        var tokens = new List<float[]>();
        if (top.Length > 0)
        {
            using var scope = NewDisposeScope();
            var pixels = images.StudyPixels.index_select(0, tensor(top.Select(i => (long)i).ToArray())).to(model.LogitScale.device);
            var z = HookLatents.Encode(model, sae, hook, pixels).select(2, feature).contiguous(); // [k, T]
            var t = (int)z.shape[1];
            var all = z.cpu().data<float>().ToArray();
            tokens.AddRange(Enumerable.Range(0, top.Length).Select(i => all.AsSpan(i * t, t).ToArray()));
        }
        var thumbs = top.Select(i =>
        {
            var item = images.Study[i];
            var name = item.Label is { } l && l < images.Dataset.LabelNames.Count ? images.Dataset.LabelNames[l] : Path.GetFileNameWithoutExtension(item.Key);
            return (RgbBitmaps.CentreThumbnail(images.Dataset.Decode(item.Index), size), name.Length > 14 ? name[..14] : name);
        }).ToList();
        var best = recovery?.PerFeature[feature] is { Concept: >= 0 } b ? string.Create(CultureInfo.InvariantCulture, $" best {b.ConceptName} auroc {b.Auroc:0.00}") : "";
        var named = label is null ? "" : $" labelled {label.Best}";
        var topPath = Path.Combine(dir, $"feature_{feature}_top.png");
        FeatureTopExamplesPng.Write(thumbs, size, tokens, model.Config.Vision.PatchesPerSide, $"feature {feature} at {hook}{best}{named}", topPath);
        var histPath = Path.Combine(dir, $"feature_{feature}_hist.png");
        ActivationHistogramPng.Write(activations.ImageActivations(feature), $"feature {feature}: max activation per image", histPath);
        return new Dictionary<string, string> { ["top_examples"] = topPath, ["histogram"] = histPath };
    }

    /// <summary>The vocabulary's concept embeddings [V, P] (mean over its templates), in eval mode.</summary>
    static Tensor Embed(Models.Clip.ClipModel model, ClipBpeTokenizer tokenizer, Vocabulary vocabulary)
    {
        var wasTraining = model.training;
        model.eval();
        try
        {
            return FreeLabeler.ConceptEmbeddings(model, tokenizer, vocabulary).DetachFromDisposeScope();
        }
        finally
        {
            model.train(wasTraining);
        }
    }

    /// <summary>Bars of a figure that could not be measured are drawn at 0.</summary>
    static double Finite(double v) => double.IsFinite(v) ? v : 0;
}
