using MMInterp.Kernels.Datasets;
using MMInterp.Kernels.Images;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Interp.DataStudy;

/// <summary>An item that could not be decoded: named in the study's result and skipped.</summary>
public sealed record SkippedImage(string Key, string Problem);

/// <summary>
/// The dataset images a study runs on: items in a seeded order (so the sample is a fair one, and the same for the same
/// seed), decoded one by one (an undecodable item is recorded and skipped), split into held-out images (steering and the
/// attack are judged there) and study images, and preprocessed as the model expects. Pixels are kept on the CPU.
/// </summary>
public sealed class StudyImages : IDisposable
{
    StudyImages(IImageDataset dataset, IReadOnlyList<ImageItem> study, IReadOnlyList<ImageItem> heldOut, Tensor studyPixels, Tensor heldOutPixels,
        IReadOnlyList<SkippedImage> skipped)
    {
        Dataset = dataset;
        Study = study;
        HeldOut = heldOut;
        StudyPixels = studyPixels;
        HeldOutPixels = heldOutPixels;
        Skipped = skipped;
    }

    public IImageDataset Dataset { get; }
    public IReadOnlyList<ImageItem> Study { get; }
    public IReadOnlyList<ImageItem> HeldOut { get; }
    /// <summary>[Study.Count, 3, S, S] float32.</summary>
    public Tensor StudyPixels { get; }
    /// <summary>[HeldOut.Count, 3, S, S] float32.</summary>
    public Tensor HeldOutPixels { get; }
    public IReadOnlyList<SkippedImage> Skipped { get; }

    /// <summary>Least images a study can run on (some to study, some held out).</summary>
    public const int Minimum = 12;

    /// <summary>Decodes up to <paramref name="study"/> + <paramref name="heldOut"/> images in seeded order. With fewer
    /// decodable images the two parts shrink in proportion (at least 4 held out).</summary>
    public static StudyImages Load(IImageDataset dataset, IImagePreprocessor preprocessor, int study, int heldOut, long seed, int batchSize,
        Action<int, int>? progress = null, CancellationToken cancel = default)
    {
        if (dataset.Items.Count == 0) throw new ArgumentException($"dataset '{dataset.Name}' has no images");
        var rng = new Random((int)(seed ^ (seed >> 32)));
        var order = dataset.Items.OrderBy(_ => rng.Next()).ToList();
        var wanted = study + heldOut;
        var kept = new List<ImageItem>();
        var skipped = new List<SkippedImage>();
        var pixels = new List<Tensor>();
        var pending = new List<RgbImage>();
        try
        {
            foreach (var item in order)
            {
                if (kept.Count >= wanted) break;
                cancel.ThrowIfCancellationRequested();
                try
                {
                    pending.Add(dataset.Decode(item.Index));
                    kept.Add(item);
                }
                catch (ImageDecodeException e)
                {
                    skipped.Add(new SkippedImage(e.Key, e.Problem));
                }
                if (pending.Count == batchSize) Flush();
                progress?.Invoke(kept.Count, wanted);
            }
            Flush();
            if (kept.Count < Minimum)
                throw new ArgumentException($"dataset '{dataset.Name}' has {kept.Count} decodable images (of {order.Count}; {skipped.Count} skipped); a study needs at least {Minimum}");
            var held = kept.Count >= wanted ? heldOut : Math.Max(4, (int)Math.Round(kept.Count * heldOut / (double)wanted));
            using var all = cat(pixels, 0);
            var expected = preprocessor.OutputSize;
            if (all.dim() != 4 || all.shape[0] != kept.Count || all.shape[2] != expected || all.shape[3] != expected)
                throw new InvalidOperationException($"the preprocessor gave pixels [{string.Join(",", all.shape)}], not [{kept.Count}, 3, {expected}, {expected}]");
            return new StudyImages(dataset, kept.Skip(held).ToList(), kept.Take(held).ToList(),
                all.narrow(0, held, kept.Count - held).contiguous(), all.narrow(0, 0, held).contiguous(), skipped);
        }
        finally
        {
            foreach (var t in pixels) t.Dispose();
        }

        void Flush()
        {
            if (pending.Count == 0) return;
            using var raw = preprocessor.ToPixels(pending);
            pixels.Add(raw.to(float32).cpu());
            pending.Clear();
        }
    }

    /// <summary>Batches of study pixels for <see cref="Features.FeatureActivations.Accumulate"/>.</summary>
    public IEnumerable<(Tensor Images, IDisposable? Owner)> StudyBatches(int batchSize, Device device)
    {
        for (long at = 0; at < Study.Count; at += batchSize)
        {
            var batch = StudyPixels.narrow(0, at, Math.Min(batchSize, Study.Count - at)).to(device);
            yield return (batch, batch);
        }
    }

    public void Dispose()
    {
        StudyPixels.Dispose();
        HeldOutPixels.Dispose();
    }
}
