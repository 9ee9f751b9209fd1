using MMInterp.Kernels.Hooks;
using MMInterp.Kernels.Models.Clip;
using TorchSharp;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Models.Vlm;

/// <summary>Tiny generative VLM: the CLIP vision transformer (hooks vision.blocks.{i}.*) -> adapter (adapter.hook_out)
/// -> decoder LM (lm.blocks.{i}.*). Parameter names: vision_model.* (as in a CLIP checkpoint, so a CLIP's tower loads
/// directly), adapter.*, lm.*.</summary>
public sealed class VlmModel : nn.Module, IShapesVlm
{
    readonly ClipVisionTransformer _vision;
    readonly VlmAdapter _adapter;
    readonly VlmLanguageModel _lm;

    public VlmModel(VlmConfig config) : base("vlm")
    {
        Config = config.Validate();
        Hooks = new HookRegistry();
        register_module("vision_model", _vision = new ClipVisionTransformer(config.Vision, Hooks));
        register_module("adapter", _adapter = new VlmAdapter(config, Hooks));
        register_module("lm", _lm = new VlmLanguageModel(config, Hooks));
    }

    public VlmConfig Config { get; }
    public HookRegistry Hooks { get; }
    public VlmLanguageModel Lm => _lm;
    public ClipVisionTransformer VisionModel => _vision;
    public int LmLayers => _lm.Layers;
    public Device Device => _lm.parameters().First().device;
    public int ImageSize => Config.Vision.ImageSize;
    public int PatchSize => Config.Vision.PatchSize;
    public int ImageTokenCount => Config.ImageTokens;
    public int MaxQuestionTokens => Config.MaxQuestionTokens;
    public int ImageStart => 0;
    public bool Training => training;
    public void SetTraining(bool on) => train(on);
    public Tensor LmLogits(Tensor imageTokens, Tensor questionIds) => _lm.Forward(imageTokens, questionIds);
    public Tensor Unembed(Tensor residual) => _lm.Unembed(residual);

    /// <summary>Image tokens in LM space (the adapter output over the patch states, CLS dropped). [B, P, D]</summary>
    public Tensor ImageTokens(Tensor pixels) => ImageTokensFromPatches(PatchStates(pixels));

    /// <summary>The vision tower's patch states that the adapter reads (CLS dropped). [B, P, Dv]</summary>
    public Tensor PatchStates(Tensor pixels) => _vision.Forward(pixels).Hidden.narrow(1, 1, Config.ImageTokens);

    /// <summary>The adapter over ready patch states. [B, P, D]</summary>
    public Tensor ImageTokensFromPatches(Tensor patches) => _adapter.Forward(patches);

    /// <summary>Next-token logits at every position. [B, P+Q, V]</summary>
    public Tensor Logits(Tensor pixels, Tensor questionIds) => _lm.Forward(ImageTokens(pixels), questionIds);

    /// <summary>The answer logits: the next-token logits at each question's last token. [B, V]</summary>
    /// <param name="lengths">[B] int64 question lengths (tokens before padding)</param>
    public Tensor AnswerLogits(Tensor pixels, Tensor questionIds, Tensor lengths) => AnswerLogitsFromTokens(ImageTokens(pixels), questionIds, lengths);

    /// <summary>As <see cref="AnswerLogits"/> from ready image tokens (interventions reuse one vision pass).</summary>
    public Tensor AnswerLogitsFromTokens(Tensor imageTokens, Tensor questionIds, Tensor lengths) =>
        Gather(_lm.Forward(imageTokens, questionIds), AnswerPositions(lengths));

    /// <summary>Sequence index of each question's last token (where the answer is predicted). [B] int64</summary>
    public Tensor AnswerPositions(Tensor lengths)
    {
        using var offset = ((long)Config.ImageTokens - 1).ToScalar();
        return lengths.add(offset);
    }

    static Tensor Gather(Tensor logits, Tensor positions) =>
        logits[arange(logits.shape[0], device: logits.device), positions.to(logits.device)];

    /// <summary>Copies the vision tower from a CLIP model: same vision config, except that the VLM may keep fewer of its
    /// layers (it reads an earlier layer's patch states).</summary>
    public void LoadVisionFrom(ClipModel clip)
    {
        var mine = Config.Vision with { Tower = Config.Vision.Tower with { NumLayers = clip.Config.Vision.Tower.NumLayers } };
        if (clip.Config.Vision != mine || Config.Vision.Tower.NumLayers > clip.Config.Vision.Tower.NumLayers)
            throw new ArgumentException($"the CLIP's vision config {clip.Config.Vision} does not match the VLM's {Config.Vision}");
        var source = clip.VisionModel.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        using var _ = no_grad();
        foreach (var (name, p) in _vision.named_parameters()) p.copy_(source[name]);
    }
}
