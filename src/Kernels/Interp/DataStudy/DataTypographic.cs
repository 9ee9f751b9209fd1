using MMInterp.Kernels.Datasets;
using MMInterp.Kernels.Hooks;
using MMInterp.Kernels.Images;
using MMInterp.Kernels.Interp.Typographic;
using MMInterp.Kernels.Models.Clip;
using MMInterp.Kernels.Sae;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Interp.DataStudy;

/// <summary>One split of the attack on a user's images: the truth per image, the written (wrong) class, and the
/// pixels with the wrong word, without a word, and with the true word at the same place.</summary>
public sealed class AttackSplit(IReadOnlyList<ImageItem> items, int[] truth, int[] written, TypographicImages pixels, IReadOnlyList<float[]> examples) : IDisposable
{
    public IReadOnlyList<ImageItem> Items { get; } = items;
    public int[] Truth { get; } = truth;
    public int[] Written { get; } = written;
    public TypographicImages Pixels { get; } = pixels;
    /// <summary>A few attacked images as thumbnails (planar RGB), for the report.</summary>
    public IReadOnlyList<float[]> Examples { get; } = examples;

    public void Dispose()
    {
        Pixels.Attacked.Dispose();
        Pixels.Clean.Dispose();
        Pixels.TrueWord?.Dispose();
    }
}

/// <summary>
/// The typographic attack on a user's images: a wrong class name (drawn at random among the other classes, seeded by
/// the item) written on each image in a real font before preprocessing, the same image with its true class written at
/// the same place (the ink control), and the clean image. The truth is the image's label, or on an unlabelled dataset
/// its clean zero-shot class (so clean accuracy is 1 and the rest is agreement with the clean prediction).
/// </summary>
public static class DataTypographic
{
    public static AttackSplit Build(IImageDataset dataset, IImagePreprocessor preprocessor, WordOverlay overlay, ZeroShotClassifier classifier,
        IReadOnlyList<ImageItem> items, Tensor cleanPixels, IReadOnlyList<int>? labels, long seed, int batchSize, int thumbnailSize, int examples = 6)
    {
        if (cleanPixels.shape[0] != items.Count) throw new ArgumentException($"{cleanPixels.shape[0]} clean images for {items.Count} items", nameof(cleanPixels));
        var classes = classifier.Classes;
        var truth = labels?.ToArray() ?? classifier.Predict(cleanPixels, batchSize);
        var written = new int[items.Count];
        var attacked = new List<Tensor>();
        var trueWord = new List<Tensor>();
        var thumbs = new List<float[]>();
        try
        {
            for (var at = 0; at < items.Count; at += batchSize)
            {
                var wrong = new List<RgbImage>();
                var right = new List<RgbImage>();
                for (var i = at; i < Math.Min(items.Count, at + batchSize); i++)
                {
                    var image = dataset.Decode(items[i].Index); // decoded once already: a failure now is a real error
                    var rng = new Random((int)((seed * 1_000_003 + items[i].Index) & 0x7fffffff)); // per item, stable across runs
                    var other = rng.Next(classes.Count - 1);
                    written[i] = other >= truth[i] ? other + 1 : other;
                    wrong.Add(overlay.Draw(image, classes[written[i]]));
                    right.Add(overlay.Draw(image, classes[truth[i]]));
                    if (thumbs.Count < examples) thumbs.Add(RgbBitmaps.CentreThumbnail(wrong[^1], thumbnailSize));
                }
                using (var a = preprocessor.ToPixels(wrong)) attacked.Add(a.to(float32).cpu());
                using (var t = preprocessor.ToPixels(right)) trueWord.Add(t.to(float32).cpu());
            }
            return new AttackSplit(items, truth, written, new TypographicImages(cat(attacked, 0), cleanPixels.clone(), cat(trueWord, 0)), thumbs);
        }
        finally
        {
            foreach (var t in attacked.Concat(trueWord)) t.Dispose();
        }
    }

    /// <summary>Judges images by zero-shot class against a split's truth, for <see cref="TypographicDefence.Defend"/>.</summary>
    public sealed class Judge(ZeroShotClassifier classifier, string hook, IReadOnlyList<int> truth, int batchSize) : ITypographicJudge
    {
        public IReadOnlyList<int> Truth { get; } = truth;

        public IReadOnlyList<int> Predictions(Tensor images, HookFn? fn) => classifier.Predict(images, batchSize, hook, fn);

        public double MeanTrueProbability(Tensor images, HookFn? fn)
        {
            using var probs = classifier.Probabilities(images, batchSize, hook, fn);
            var classes = (int)probs.shape[1];
            var values = probs.cpu().contiguous().data<float>().ToArray();
            return Truth.Select((t, i) => (double)values[i * classes + t]).Average();
        }
    }
}
