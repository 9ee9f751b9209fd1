using MMInterp.Kernels.Images;
using MMInterp.Kernels.Models.Llava;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Extraction;

/// <summary>
/// A LLaVA's vision tower, projector and decoder over ShapesWorld images, normalised as its preprocessor says (the
/// scenes are rendered at the tower's size, so resizing and cropping are identities). As for the zoo VLM: vision hooks
/// give every vision token (of a full tower pass: LLaVA itself stops at its feature layer); projector and decoder hooks give the image-feature positions of a prompt holding only
/// BOS and the image (the decoder is causal, so these do not depend on any question that follows).
/// </summary>
public sealed class LlavaActivationModel(LlavaForConditionalGeneration model, ClipImageProcessor processor)
    : ShapesWorldActivationModel<LlavaForConditionalGeneration>(model, model.Hooks, model.Config.Vision.ImageSize)
{
    public override string Family => "vlm";

    public override Dictionary<string, Tensor> Extract(long seed, long start, int count, IReadOnlyList<string> hooks)
    {
        foreach (var h in hooks)
        {
            if (!Model.Hooks.Contains(h))
                throw new ArgumentException($"hook '{h}' is not a hook point of this LLaVA; e.g. {string.Join(", ", Model.Hooks.Names.Where(n => n.Contains("hook_resid_post", StringComparison.Ordinal)).Take(4))}");
            if (h.EndsWith("hook_pattern", StringComparison.Ordinal) || h.EndsWith("hook_attn_scores", StringComparison.Ordinal))
                throw new ArgumentException($"hook '{h}' is an attention pattern, not a per-token activation");
        }
        var lmHooks = hooks.Any(h => !h.StartsWith("vision.", StringComparison.Ordinal));
        var visionHooks = hooks.Any(h => h.StartsWith("vision.", StringComparison.Ordinal));
        var bos = Model.Config.Text.BosTokenId;
        var offset = bos is null ? 0 : 1;
        var features = Model.Config.FeaturesPerImage;
        Model.eval();
        return HookRows.Collect(Model.Hooks, hooks, start, count, batchSize: 16, (at, n) =>
        {
            using var batch = World.Batch(seed, at, n, CPU);
            var pixels = Normalise(batch.Images);
            // The whole tower, so hooks of blocks after the feature layer (which LLaVA never runs) have values too.
            if (visionHooks) Model.VisionTower.VisionModel.Forward(pixels);
            if (!lmHooks) return;
            var image = Model.ImageFeatures(pixels);
            var embeds = bos is int b ? cat([Model.LanguageModel.Embed(full(n, 1, (long)b, dtype: int64)), image], 1) : image;
            Model.LanguageModel.Residual(embeds);
        }, (hook, a) => hook.StartsWith("vision.", StringComparison.Ordinal) || hook == LlavaProjector.OutHook ? a : a.narrow(1, offset, features));
    }

    Tensor Normalise(Tensor images)
    {
        var c = processor.Config;
        if (!c.DoNormalize) return images;
        var mean = tensor(c.ImageMean).view(1, 3, 1, 1);
        var std = tensor(c.ImageStd).view(1, 3, 1, 1);
        return (images - mean) / std;
    }
}
