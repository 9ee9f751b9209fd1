using MMInterp.Kernels.Datasets;
using MMInterp.Kernels.Hooks;
using MMInterp.Kernels.Images;
using MMInterp.Kernels.Models.Llava;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Extraction;

/// <summary>
/// A LLaVA's vision tower, projector and decoder over ShapesWorld images (rendered at the tower's size, so the
/// preprocessor's resize and crop are identities and only its normalisation applies) or a user's images (the
/// checkpoint's preprocessor whole). As for the zoo VLM: vision hooks give every vision token (of a full tower pass:
/// LLaVA itself stops at its feature layer); projector and decoder hooks give the image-feature positions of a prompt
/// holding only BOS and the image (the decoder is causal, so these do not depend on any question that follows).
/// </summary>
public sealed class LlavaActivationModel(LlavaForConditionalGeneration model, ClipImageProcessor processor)
    : ShapesWorldActivationModel<LlavaForConditionalGeneration>(model, model.Hooks, model.Config.Vision.ImageSize), IImageActivationModel
{
    const int BatchSize = 16;

    public override string Family => "vlm";

    public IImagePreprocessor Preprocessor => processor;

    public override Dictionary<string, Tensor> Extract(long seed, long start, int count, IReadOnlyList<string> hooks)
    {
        CheckHooks(hooks);
        Model.eval();
        return HookRows.Collect(Model.Hooks, hooks, start, count, BatchSize, (at, n) =>
        {
            using var batch = World.Batch(seed, at, n, CPU);
            Forward(Normalise(batch.Images), hooks);
        }, Select);
    }

    /// <summary>Items of a user's dataset: undecodable ones are skipped and named, never thrown.</summary>
    public ImageExtraction ExtractImages(IImageDataset dataset, IReadOnlyList<int> indices, IReadOnlyList<string> hooks, TokenSelection tokens = TokenSelection.All)
    {
        if (tokens != TokenSelection.All)
            throw new ArgumentException($"tokens '{tokens.Name()}' applies to CLIP vision hooks; a {Family} model extracts all tokens");
        if (indices.Count < 1) throw new ArgumentException("extraction needs at least one item");
        CheckHooks(hooks);
        Model.eval();
        var skipped = new List<SkippedImage>();
        var good = 0;
        using var rows = new HookRows.Buffer(hooks);
        using var noGrad = no_grad();
        foreach (var chunk in indices.Chunk(BatchSize))
        {
            var images = new List<RgbImage>(chunk.Length);
            foreach (var i in chunk)
            {
                try { images.Add(dataset.Decode(i)); }
                catch (ImageDecodeException e) { skipped.Add(new SkippedImage(e.Key, e.Problem)); }
            }
            if (images.Count == 0) continue;
            good += images.Count;
            Collect(rows, processor.ToPixels(images), hooks, keep: true);
        }
        // Every item failed: the rows still need their width, so run one blank image and keep none of it.
        if (good == 0) Collect(rows, zeros(1, 3, processor.OutputSize, processor.OutputSize), hooks, keep: false);
        return new ImageExtraction(rows.Concat(), good, skipped);
    }

    void Collect(HookRows.Buffer rows, Tensor pixels, IReadOnlyList<string> hooks, bool keep)
    {
        using var scope = NewDisposeScope();
        using var owned = pixels; // made outside the scope by the preprocessor
        using var cache = new ActivationCache();
        using (Model.Hooks.Scope())
        {
            foreach (var h in hooks) Model.Hooks.Add(h, Hook.Cache(cache));
            Forward(pixels, hooks);
        }
        foreach (var h in hooks)
        {
            var selected = Select(h, cache[h]);
            rows.Add(h, keep ? selected : selected.narrow(0, 0, 0));
        }
    }

    void CheckHooks(IReadOnlyList<string> hooks)
    {
        foreach (var h in hooks)
        {
            if (!Model.Hooks.Contains(h))
                throw new ArgumentException($"hook '{h}' is not a hook point of this LLaVA; e.g. {string.Join(", ", Model.Hooks.Names.Where(n => n.Contains("hook_resid_post", StringComparison.Ordinal)).Take(4))}");
            if (h.EndsWith("hook_pattern", StringComparison.Ordinal) || h.EndsWith("hook_attn_scores", StringComparison.Ordinal))
                throw new ArgumentException($"hook '{h}' is an attention pattern, not a per-token activation");
        }
    }

    /// <summary>One forward over normalised pixels, as far as the hooks need.</summary>
    void Forward(Tensor pixels, IReadOnlyList<string> hooks)
    {
        var n = pixels.shape[0];
        // The whole tower, so hooks of blocks after the feature layer (which LLaVA never runs) have values too.
        if (hooks.Any(IsVision)) Model.VisionTower.VisionModel.Forward(pixels);
        if (hooks.All(IsVision)) return;
        var image = Model.ImageFeatures(pixels);
        var embeds = Model.Config.Text.BosTokenId is int b ? cat([Model.LanguageModel.Embed(full(n, 1, (long)b, dtype: int64)), image], 1) : image;
        Model.LanguageModel.Residual(embeds);
    }

    /// <summary>Vision and projector hooks keep every position; decoder hooks the image features' (after BOS).</summary>
    Tensor Select(string hook, Tensor a) =>
        IsVision(hook) || hook == LlavaProjector.OutHook ? a
            : a.narrow(1, Model.Config.Text.BosTokenId is null ? 0 : 1, Model.Config.FeaturesPerImage);

    static bool IsVision(string hook) => hook.StartsWith("vision.", StringComparison.Ordinal);

    Tensor Normalise(Tensor images)
    {
        var c = processor.Config;
        if (!c.DoNormalize) return images;
        var mean = tensor(c.ImageMean).view(1, 3, 1, 1);
        var std = tensor(c.ImageStd).view(1, 3, 1, 1);
        return (images - mean) / std;
    }
}
