using MMInterp.Kernels.Datasets;
using MMInterp.Kernels.Diagnostics;
using MMInterp.Kernels.Hooks;
using MMInterp.Kernels.Images;
using MMInterp.Kernels.Models.Clip;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Extraction;

/// <summary>
/// Runs a CLIP's vision tower over items of a user dataset, batch by batch: decode (skipping and naming items that
/// fail), preprocess, forward with the hooks cached, keep every token's row. Only one batch of decoded images and
/// pixels is alive at a time.
/// </summary>
public static class ClipImageExtractor
{
    public static ImageExtraction Extract(ClipModel model, IImagePreprocessor preprocessor, IImageDataset dataset, IReadOnlyList<int> indices,
        IReadOnlyList<string> hooks, int batchSize = 32, TokenSelection tokens = TokenSelection.All)
    {
        ClipActivationExtractor.CheckHooks(model, hooks, tokens);
        if (indices.Count < 1) throw new ArgumentException("extraction needs at least one item");
        using var activity = KernelTelemetry.Source.StartActivity("kernel.extract.images");
        activity?.SetTag("mminterp.images", indices.Count);
        activity?.SetTag("mminterp.hooks", string.Join(",", hooks));
        model.eval();
        var skipped = new List<SkippedImage>();
        var good = 0;
        using var rows = new HookRows.Buffer(hooks);
        using var noGrad = no_grad();
        foreach (var chunk in indices.Chunk(batchSize))
        {
            var images = new List<RgbImage>(chunk.Length);
            foreach (var i in chunk)
            {
                try
                {
                    images.Add(dataset.Decode(i));
                }
                catch (ImageDecodeException e)
                {
                    skipped.Add(new SkippedImage(e.Key, e.Problem));
                }
            }
            if (images.Count == 0) continue;
            good += images.Count;
            Forward(model, hooks, rows, preprocessor.ToPixels(images), keep: true, tokens);
        }
        // Every item failed: the rows still need their width, so run one blank image and keep none of it.
        if (good == 0)
            Forward(model, hooks, rows, zeros(1, 3, preprocessor.OutputSize, preprocessor.OutputSize), keep: false, tokens);
        return new ImageExtraction(rows.Concat(), good, skipped);
    }

    static void Forward(ClipModel model, IReadOnlyList<string> hooks, HookRows.Buffer rows, Tensor pixels, bool keep, TokenSelection tokens)
    {
        using var scope = NewDisposeScope();
        using var owned = pixels; // created outside the scope; disposed here
        using var cache = new ActivationCache();
        using (model.Hooks.Scope())
        {
            foreach (var h in hooks) model.Hooks.Add(h, Hook.Cache(cache));
            // Pixels are made on the CPU (preprocessing); the tower reads them on its own device.
            using var onDevice = pixels.to(model.LogitScale.device);
            model.VisionModel.Forward(onDevice);
        }
        foreach (var h in hooks)
        {
            var selected = tokens.Select(cache[h], h);
            rows.Add(h, keep ? selected : selected.narrow(0, 0, 0));
        }
    }
}
