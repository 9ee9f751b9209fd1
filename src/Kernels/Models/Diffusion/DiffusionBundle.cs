using MMInterp.Kernels.Hooks;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Models.Diffusion;

/// <summary>A text-to-image zoo model ready to use: the denoiser, its frozen text encoder, the attribute classifier that
/// scores its images, and the config it was trained with.</summary>
public sealed class DiffusionBundle(DiffusionTransformer denoiser, TextConditioner text, AttributeClassifier classifier, DiffusionZooConfig config) : IZooDenoiser
{
    public DiffusionTransformer Denoiser { get; } = denoiser;
    public TextConditioner Text { get; } = text;
    IPromptEncoder IZooDenoiser.Text => Text;
    public AttributeClassifier Classifier { get; } = classifier;
    public DiffusionZooConfig Config { get; } = config;

    // The DiT's noise level is rectified flow's t itself.
    public HookRegistry Hooks => Denoiser.Hooks;
    public int ImageSize => Config.ImageSize;
    public long EvalSeed => Config.EvalSeed;
    public IReadOnlyList<string> BlockHooks => Enumerable.Range(0, Denoiser.Layers).Select(i => $"denoiser.blocks.{i}.hook_resid_post").ToList();
    public int PixelPatch => Denoiser.Config.PatchSize;

    public IReadOnlyList<SkippableBlock> Blocks => Enumerable.Range(0, Denoiser.Layers).Select(i => new SkippableBlock($"block {i}",
        i == 0 ? "denoiser.hook_embed" : $"denoiser.blocks.{i - 1}.hook_resid_post", $"denoiser.blocks.{i}.hook_resid_post")).ToList();

    public IReadOnlyList<AttentionSite> AttentionSites => Enumerable.Range(0, Denoiser.Layers)
        .SelectMany(i => new[] { "attn", "cross_attn" }.Select(kind => new AttentionSite(kind, i, $"denoiser.blocks.{i}.{kind}.hook_z", Denoiser.Config.Heads))).ToList();
    public long ParameterCount => Denoiser.parameters().Sum(p => p.numel());
    public Tensor CleanInput(Tensor images) => FlowMatching.ToModelSpace(images);
    public Tensor Noise(Tensor x0, Tensor s, Tensor eps) => FlowMatching.Noise(x0, s, eps);
    public Tensor Forward(Tensor xs, Tensor s, TextCondition text) => Denoiser.Forward(xs, s, text);
    public Tensor Tokens(string hook, Tensor activation) => activation.reshape(activation.shape[0], activation.shape[1], -1);

    public Tensor LossPerImage(Tensor x0, Tensor s, Tensor eps, TextCondition text) => FlowMatching.LossPerImage(Denoiser, x0, s, eps, text);
    public SamplerOptions Sampler(long seed) => Config.Sampler(seed);

    public Tensor Sample(TextCondition text, TextCondition nullText, SamplerOptions options, Action<double, Tensor>? afterStep = null, Action<double>? beforeStep = null) =>
        FlowSampler.Sample(Denoiser, text, nullText, options, beforeStep: beforeStep is null ? null : (_, t) => beforeStep(t),
            afterStep: afterStep is null ? null : step => afterStep(step.T, step.CleanEstimate));

    public void Dispose()
    {
        Denoiser.Dispose();
        Classifier.Dispose();
        Text.Clip.Dispose();
    }
}

/// <summary>Quality of a text-to-image model: attribute accuracy of generated single-object images against their
/// prompts (read by the classifier), the same with prompts shuffled (the chance control), the classifier's own
/// accuracy on real held-out images, and the held-out denoising loss.</summary>
public sealed record DiffusionMetrics(
    double ColourAccuracy, double ShapeAccuracy, double PositionAccuracy, double SizeAccuracy, double FillAccuracy,
    double ShuffledColourAccuracy, double ShuffledShapeAccuracy, double ShuffledPositionAccuracy,
    double ClassifierColour, double ClassifierShape, double ClassifierPosition, double ClassifierSize, double ClassifierFill,
    double HeldOutLoss, int EvalImages);
