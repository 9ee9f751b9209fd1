using MMInterp.Kernels.Interp.Steering;
using MMInterp.Kernels.Sae;
using MMInterp.Kernels.Models.Clip;
using TorchSharp;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Interp.DataStudy;

/// <summary>One clamp (or, in the control, a random direction of the same norm) judged by zero-shot classification.</summary>
/// <param name="Target">the class the feature is steered toward (the label it detects, or its free label)</param>
/// <param name="Images">measured images: those whose true class (or, unlabelled, unsteered prediction) is not the target</param>
/// <param name="FlipShare">share of measured images not predicted as the target before that are after</param>
public sealed record LabelSteering(int Feature, double ClampValue, string Target, int Images, double ProbBefore, double ProbAfter, double FlipShare, bool Steerable)
{
    public double Delta => ProbAfter - ProbBefore;
}

/// <param name="Accuracy">zero-shot accuracy of the bare model on the held-out images (NaN unlabelled)</param>
/// <param name="AccuracySaeInserted">the same through the SAE's reconstruction alone ("SAE inserted, nothing clamped")</param>
/// <param name="AgreementSaeInserted">share of held-out images whose prediction the reconstruction leaves unchanged</param>
public sealed record LabelSteeringResult(IReadOnlyList<LabelSteering> Features, IReadOnlyList<LabelSteering> RandomControl,
    double Accuracy, double AccuracySaeInserted, double AgreementSaeInserted)
{
    public double SteerableShare => Share(Features);
    public double RandomShare => Share(RandomControl);
    public double FlipRate => Mean(Features, t => t.FlipShare);
    public double RandomFlipRate => Mean(RandomControl, t => t.FlipShare);
    public double MeanDelta => Mean(Features, t => t.Delta);
    public double RandomMeanDelta => Mean(RandomControl, t => t.Delta);

    static double Share(IReadOnlyList<LabelSteering> trials) => trials.Count == 0 ? double.NaN : (double)trials.Count(t => t.Steerable) / trials.Count;
    static double Mean(IReadOnlyList<LabelSteering> trials, Func<LabelSteering, double> f) => trials.Count == 0 ? double.NaN : trials.Average(f);
}

/// <summary>
/// Steering judged on a user's images: each feature is clamped on every token (SAE spliced in with its error term) to
/// a multiple of its high-quantile activation, and the held-out images' zero-shot predictions over the classes are
/// compared with the unsteered ones. Controls, on the same images: as many random unit directions added with the norm
/// each clamp adds at each token, toward the same classes; and the reconstruction alone with nothing clamped.
/// </summary>
public static class LabelSteerer
{
    /// <param name="images">held-out pixels [n, 3, S, S]</param>
    /// <param name="truth">per image its class, or null for an unlabelled dataset</param>
    /// <param name="targets">feature -> class index it is steered toward</param>
    /// <param name="clamps">feature -> value it is clamped to</param>
    public static LabelSteeringResult Run(ClipModel model, ISparseAutoencoder sae, string hook, ZeroShotClassifier classifier, Tensor images,
        IReadOnlyList<int>? truth, IReadOnlyDictionary<int, int> targets, IReadOnlyDictionary<int, double> clamps, double deltaThreshold, double flipThreshold,
        long seed, int batchSize, Action<double, string>? progress = null, CancellationToken cancel = default)
    {
        var n = (int)images.shape[0];
        if (truth is not null && truth.Count != n) throw new ArgumentException($"{truth.Count} labels for {n} images", nameof(truth));
        var classes = classifier.Classes.Count;
        using var scope = NewDisposeScope();
        var before = Flat(classifier.Probabilities(images, batchSize));
        var beforePred = ArgMax(before, n, classes, 0);
        var recon = ArgMax(Flat(classifier.Probabilities(images, batchSize, hook, SaeSplice.Hook(sae, SpliceMode.ReconstructionOnly))), n, classes, 0);
        double Accuracy(int[] p) => truth is null ? double.NaN : (double)Enumerable.Range(0, n).Count(i => p[i] == truth[i]) / n;
        var agreement = (double)Enumerable.Range(0, n).Count(i => recon[i] == beforePred[i]) / n;

        LabelSteering Judge(int feature, double clamp, int target, float[] after, int copy)
        {
            var measured = Enumerable.Range(0, n).Where(i => (truth is null ? beforePred[i] : truth[i]) != target).ToList();
            var afterPred = ArgMax(after, n, classes, copy);
            double pb = 0, pa = 0, flips = 0, flippable = 0;
            foreach (var i in measured)
            {
                pb += before[i * classes + target];
                pa += after[(copy * n + i) * classes + target];
                if (beforePred[i] == target) continue;
                flippable++;
                if (afterPred[i] == target) flips++;
            }
            var count = Math.Max(1, measured.Count);
            var delta = (pa - pb) / count;
            var flipShare = flippable == 0 ? 0 : flips / flippable;
            return new LabelSteering(feature, clamp, classifier.Classes[target], measured.Count, pb / count, pa / count, flipShare,
                measured.Count > 0 && delta > deltaThreshold && flipShare >= flipThreshold);
        }

        var tested = targets.Keys.Order().ToList();
        var perForward = Math.Max(1, Math.Min(4, 256 / Math.Max(1, n)));
        var features = new List<LabelSteering>();
        var control = new List<LabelSteering>();
        var total = Math.Max(1, 2 * tested.Count);
        for (var at = 0; at < tested.Count; at += perForward)
        {
            cancel.ThrowIfCancellationRequested();
            var chunk = tested.Skip(at).Take(perForward).ToList();
            var edit = Steerability.RowClamps(sae, chunk.Select(f => (f, clamps[f])).ToList(), n, ClampScope.AllTokens);
            var after = Flat(classifier.Probabilities(images.repeat(chunk.Count, 1, 1, 1), n * chunk.Count, hook, SaeSplice.Hook(sae, SpliceMode.WithError, edit)));
            for (var c = 0; c < chunk.Count; c++) features.Add(Judge(chunk[c], clamps[chunk[c]], targets[chunk[c]], after, c));
            progress?.Invoke((double)(at + chunk.Count) / total, $"steered {at + chunk.Count}/{tested.Count} features");
        }
        if (tested.Count > 0)
        {
            using var generator = new Generator((ulong)seed + 1);
            var directions = nn.functional.normalize(randn([tested.Count, sae.Config.DIn], generator: generator), dim: -1);
            for (var at = 0; at < tested.Count; at += perForward)
            {
                cancel.ThrowIfCancellationRequested();
                var chunk = tested.Skip(at).Take(perForward).ToList();
                var edit = Steerability.RowClamps(sae, chunk.Select(f => (f, clamps[f])).ToList(), n, ClampScope.AllTokens);
                var rows = directions.narrow(0, at, chunk.Count).repeat_interleave(n, 0);
                var after = Flat(classifier.Probabilities(images.repeat(chunk.Count, 1, 1, 1), n * chunk.Count, hook, SaeSplice.EqualNormDirection(sae, edit, rows)));
                for (var c = 0; c < chunk.Count; c++) control.Add(Judge(chunk[c], clamps[chunk[c]], targets[chunk[c]], after, c));
                progress?.Invoke((double)(tested.Count + at + chunk.Count) / total, $"random control {at + chunk.Count}/{tested.Count}");
            }
        }
        return new LabelSteeringResult(features, control, Accuracy(beforePred), Accuracy(recon), agreement);
    }

    static float[] Flat(Tensor probs)
    {
        using var _ = probs;
        return probs.cpu().contiguous().data<float>().ToArray();
    }

    static int[] ArgMax(float[] probs, int n, int classes, int copy) =>
        Enumerable.Range(0, n).Select(i => Steerability.ArgMax(probs, (copy * n + i) * classes, classes)).ToArray();
}
