using MMInterp.Kernels.Hooks;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Models.Clip;

/// <summary>HF CLIPModel with TransformerLens-style hook points. named_parameters() equal HF state-dict keys
/// (vision_model.*, text_model.*, visual_projection.weight, text_projection.weight, logit_scale).</summary>
public sealed class ClipModel : nn.Module
{
    readonly ClipVisionTransformer _vision;
    readonly ClipTextTransformer _text;
    readonly Linear _visualProjection, _textProjection;
    readonly Parameter _logitScale;

    public ClipModel(ClipConfig config) : base("clip")
    {
        Config = config.Validate();
        Hooks = new HookRegistry();
        register_module("vision_model", _vision = new ClipVisionTransformer(config.Vision, Hooks, pooledHook: true));
        register_module("text_model", _text = new ClipTextTransformer(config.Text, Hooks));
        register_module("visual_projection", _visualProjection = nn.Linear(config.Vision.Tower.HiddenSize, config.ProjectionDim, hasBias: false));
        register_module("text_projection", _textProjection = nn.Linear(config.Text.Tower.HiddenSize, config.ProjectionDim, hasBias: false));
        register_parameter("logit_scale", _logitScale = new Parameter(tensor((float)config.LogitScaleInit)));
    }

    public ClipConfig Config { get; }

    /// <summary>Every hook point: vision.blocks.{i}.*, vision.hook_pooled, text.blocks.{i}.*.</summary>
    public HookRegistry Hooks { get; }

    public ClipVisionTransformer VisionModel => _vision;
    public ClipTextTransformer TextModel => _text;
    public Parameter LogitScale => _logitScale;

    /// <summary>HF get_image_features: projected pooled class token, not normalised. [B, P]</summary>
    public Tensor EncodeImage(Tensor pixels) => _visualProjection.forward(_vision.Forward(pixels).Pooled);

    /// <summary>HF get_text_features: projected pooled EOS state, not normalised. [B, P]</summary>
    public Tensor EncodeText(Tensor ids) => _textProjection.forward(_text.Forward(ids).Pooled);

    /// <summary>HF CLIPModel.forward logits: scale * cos-sim. Returns logits_per_image [Bi, Bt] (logits_per_text is its transpose).</summary>
    public Tensor LogitsPerImage(Tensor pixels, Tensor ids) => Logits(EncodeImage(pixels), EncodeText(ids));

    public Tensor Logits(Tensor imageEmbeds, Tensor textEmbeds)
    {
        var i = nn.functional.normalize(imageEmbeds, dim: -1);
        var t = nn.functional.normalize(textEmbeds, dim: -1);
        return _logitScale.exp() * i.matmul(t.t());
    }

    /// <summary>HF clip_loss: mean of image->text and text->image cross-entropy, matched pairs on the diagonal.</summary>
    static readonly Scalar Half = 0.5.ToScalar();

    public static Tensor ContrastiveLoss(Tensor logitsPerImage)
    {
        var targets = arange(logitsPerImage.shape[0], device: logitsPerImage.device);
        return (nn.functional.cross_entropy(logitsPerImage, targets) + nn.functional.cross_entropy(logitsPerImage.t(), targets)).mul(Half);
    }
}
