using MMInterp.Kernels.Hooks;
using MMInterp.Kernels.Models.Diffusion;
using MMInterp.Kernels.Models.StableDiffusion;
using MMInterp.Kernels.Tensors;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Models.ZooUNet;

/// <summary>The zoo U-Net ready to use: the denoiser, its frozen text encoder, the attribute classifier that scores its
/// images and its recipe. Owns all three models. As an <see cref="IZooDenoiser"/>, noise level s is DDPM timestep
/// round(s * 999) on the recipe's schedule (s = 0.5 is t = 500, where the image's share of x_t is 0.28).</summary>
public sealed class UNetZooModel(UNet2DConditionModel unet, TextConditioner text, AttributeClassifier classifier, UNetZooConfig config) : IUNetDenoiser
{
    readonly UNetNoising _noising = new(text.Clip.LogitScale.device);

    public UNet2DConditionModel UNet { get; } = unet;
    public TextConditioner Text { get; } = text;
    IPromptEncoder IZooDenoiser.Text => Text;
    public AttributeClassifier Classifier { get; } = classifier;
    public UNetZooConfig Config { get; } = config;

    public HookRegistry Hooks => UNet.Hooks;
    public int ImageSize => Config.ImageSize;
    public long EvalSeed => Config.EvalSeed;

    public IReadOnlyList<string> BlockHooks => UNetSites.BlockHooks(UNet);
    public IReadOnlyList<SkippableBlock> Blocks => UNetSites.Blocks(UNet);
    public IReadOnlyList<AttentionSite> AttentionSites => UNetSites.AttentionSites(UNet);

    /// <summary>2: the grid of the first attention level (8x8 tokens at 16x16).</summary>
    public int PixelPatch => 2;

    public long ParameterCount => UNet.parameters().Sum(p => p.numel());

    /// <summary>The DDPM timestep [B] (int64) of noise levels s [B].</summary>
    public Tensor Timesteps(Tensor s) => _noising.Timesteps(s);

    public Tensor CleanInput(Tensor images) => FlowMatching.ToModelSpace(images);
    public Tensor Noise(Tensor x0, Tensor s, Tensor eps) => _noising.Noise(x0, Timesteps(s), eps);

    public Tensor Forward(Tensor xs, Tensor s, TextCondition text) =>
        UNet.Forward(CoordinateChannels.Input(UNet.Config, xs), Timesteps(s).to_type(ScalarType.Float32), text.Tokens);

    public Tensor Tokens(string hook, Tensor activation) => UNetSites.Tokens(hook, activation);

    public Tensor LossPerImage(Tensor x0, Tensor s, Tensor eps, TextCondition text) => _noising.LossPerImage(UNet, x0, Timesteps(s), eps, text);

    public SamplerOptions Sampler(long seed) => new SamplerOptions { Steps = Config.SampleSteps, Guidance = Config.Guidance, Seed = seed }.Validate();

    public Tensor Sample(TextCondition text, TextCondition nullText, SamplerOptions options, Action<double, Tensor>? afterStep = null, Action<double>? beforeStep = null) =>
        UNetZooSampler.Sample(UNet, text, nullText, options.Steps, options.Guidance, options.Seed, beforeStep: beforeStep is null ? null : t => beforeStep((double)t / (_noising.TrainTimesteps - 1)), afterStep: afterStep is null ? null : step =>
        {
            using var scope = NewDisposeScope();
            var t = full([step.Xt.shape[0]], step.T, ScalarType.Int64, device: step.Xt.device);
            afterStep((double)step.T / (_noising.TrainTimesteps - 1), _noising.CleanEstimate(step.Xt, t, step.Noise));
        });

    public Tensor SampleReading(TextCondition text, TextCondition nullText, SamplerOptions options, Action<UNetStepReading> read) =>
        UNetZooSampler.Sample(UNet, text, nullText, options.Steps, options.Guidance, options.Seed, afterStep: step =>
        {
            using var scope = NewDisposeScope();
            var t = full([step.Xt.shape[0]], step.T, ScalarType.Int64, device: step.Xt.device);
            read(new UNetStepReading(step.Index, (double)step.T / (_noising.TrainTimesteps - 1), step.Xt, _noising.CleanEstimate(step.Xt, t, step.Noise),
                options.Guidance != 1.0 ? (int)text.Count : 0));
        });

    public void Dispose()
    {
        UNet.Dispose();
        Classifier.Dispose();
        Text.Clip.Dispose();
        _noising.Dispose();
    }
}
