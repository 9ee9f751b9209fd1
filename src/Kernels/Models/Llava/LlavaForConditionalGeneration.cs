using MMInterp.Kernels.Hooks;
using MMInterp.Kernels.Models.Llm;
using TorchSharp;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Models.Llava;

/// <summary>
/// HF LlavaForConditionalGeneration under the older (transformers &lt; 4.52) parameter names: vision_tower.vision_model.*,
/// multi_modal_projector.linear_{1,2}.*, language_model.model.*, language_model.lm_head.weight (checkpoints in the newer
/// layout are renamed on load, see Checkpoints/LlavaHfKeys). One hook registry: the vision tower's vision.blocks.{i}.*,
/// the projector's adapter.hook_out, the decoder's lm.hook_embed (the merged sequence) and lm.blocks.{i}.*.
/// The decoder and projector keep their storage dtype; the vision tower is float32. Everything computes in float32.
/// </summary>
public sealed class LlavaForConditionalGeneration : nn.Module
{
    readonly LlavaVisionTower _vision;
    readonly LlavaProjector _projector;
    readonly LlamaForCausalLm _lm;

    /// <param name="dtype">storage dtype of the decoder and projector: Float32, BFloat16 or Float16</param>
    /// <param name="initialise">false leaves the decoder and projector uninitialised, for a checkpoint load to fill</param>
    public LlavaForConditionalGeneration(LlavaConfig config, ScalarType dtype = ScalarType.Float32, bool initialise = true) : base("llava")
    {
        Config = config.Validate();
        Hooks = new HookRegistry();
        StorageDType = dtype;
        register_module("vision_tower", _vision = new LlavaVisionTower(config, Hooks));
        register_module("multi_modal_projector", _projector = new LlavaProjector(config, Hooks, dtype, initialise));
        register_module("language_model", _lm = new LlamaForCausalLm(config.Text, Hooks, "lm", dtype, initialise));
    }

    public LlavaConfig Config { get; }
    public HookRegistry Hooks { get; }
    public ScalarType StorageDType { get; }
    public LlavaVisionTower VisionTower => _vision;
    public LlavaProjector Projector => _projector;
    public LlamaForCausalLm LanguageModel => _lm;

    /// <summary>The projected image features, [B, N, D] float32: what replaces the image tokens.</summary>
    public Tensor ImageFeatures(Tensor pixels)
    {
        using var scope = NewDisposeScope();
        return scope.MoveToOuter(_projector.Forward(_vision.Features(pixels)));
    }

    /// <summary>
    /// The decoder's input embeddings [1, T, D] for one prompt: token embeddings with the image token's positions
    /// replaced by the image features in order (HF's masked_scatter). <paramref name="ids"/> holds each image's token
    /// once or already expanded (see <see cref="LlavaImageTokens"/>); the expanded ids come back too.
    /// </summary>
    /// <param name="pixels">[images, C, H, W]; or null for a text-only prompt</param>
    public (Tensor Embeddings, long[] Ids) MergedEmbeddings(IReadOnlyList<long> ids, Tensor? pixels)
    {
        using var scope = NewDisposeScope();
        var images = pixels is null ? 0 : (int)pixels.shape[0];
        var expanded = LlavaImageTokens.Expand(ids, Config.ImageTokenId, images, Config.FeaturesPerImage);
        // The image token's id may lie beyond the vocabulary (HF then embeds id 0 there, to be overwritten).
        var safe = expanded.Select(i => i == Config.ImageTokenId ? 0 : i).ToArray();
        foreach (var id in safe)
            if (id < 0 || id >= Config.Text.VocabSize) throw new ArgumentException($"token id {id} is outside the vocabulary (0..{Config.Text.VocabSize - 1})");
        var embeds = _lm.Embed(tensor(safe, [1, safe.Length]));
        if (images > 0)
        {
            var features = ImageFeatures(pixels!).reshape(-1, Config.Text.HiddenSize); // images in order, then their features
            var positions = tensor(LlavaImageTokens.Positions(expanded, Config.ImageTokenId).Select(p => (long)p).ToArray());
            embeds = embeds.squeeze(0).index_copy(0, positions, features).unsqueeze(0);
        }
        return (scope.MoveToOuter(embeds), expanded);
    }

    /// <summary>Logits [1, T, V] of the merged sequence (T counts the expanded image tokens).</summary>
    public Tensor Logits(IReadOnlyList<long> ids, Tensor? pixels)
    {
        using var scope = NewDisposeScope();
        var (embeds, _) = MergedEmbeddings(ids, pixels);
        return scope.MoveToOuter(_lm.ForwardEmbeddings(embeds));
    }

    /// <summary>Greedy continuation of one prompt (with the KV cache, or without it: the same tokens), ending at the
    /// first stop id (default: text_config's eos_token_id).</summary>
    public long[] Generate(IReadOnlyList<long> ids, Tensor? pixels, int maxNewTokens, IReadOnlyCollection<int>? stopIds = null, bool useCache = true)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var (embeds, _) = MergedEmbeddings(ids, pixels);
        return LlamaGreedy.GenerateFromEmbeddings(_lm, embeds, maxNewTokens, stopIds, useCache)[0];
    }
}
