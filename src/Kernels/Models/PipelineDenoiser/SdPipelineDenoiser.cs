using MMInterp.Kernels.Hooks;
using MMInterp.Kernels.Models.Diffusion;
using MMInterp.Kernels.Models.StableDiffusion;
using MMInterp.Kernels.Models.ZooUNet;
using MMInterp.Kernels.Tensors;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Models.PipelineDenoiser;

/// <summary>
/// A diffusers Stable Diffusion 1.x/2.x pipeline as the diffusion analyses read it (<see cref="IZooDenoiser"/>). It works
/// in latent space: ShapesWorld images go through the VAE's encoder (the posterior mean, (z - shift_factor) x
/// scaling_factor) before they are noised, clean estimates and samples come back through its decoder. Noise level s is
/// DDPM timestep round(s (T - 1)) on the pipeline's own training schedule, and the loss is its prediction_type's. The
/// attribute oracle is a ShapesWorld classifier made on first use (<paramref name="classifier"/>); images larger than
/// it are area-averaged down to its side. Owns the pipeline.
/// </summary>
public sealed class SdPipelineDenoiser : IUNetDenoiser
{
    readonly StableDiffusionPipeline _pipeline;
    readonly UNetNoising _noising;
    readonly Lazy<AttributeClassifier> _classifier;

    /// <param name="classifier">makes the attribute oracle for a given image side (called once, on first use)</param>
    /// <param name="steps">sampling steps of <see cref="Sampler"/> (diffusers' default 50)</param>
    /// <param name="guidance">classifier-free guidance of <see cref="Sampler"/> (diffusers' default 7.5)</param>
    public SdPipelineDenoiser(StableDiffusionPipeline pipeline, Func<int, AttributeClassifier> classifier, int steps = 50, double guidance = 7.5)
    {
        if (pipeline.IsXl)
            throw new NotSupportedException("an SDXL pipeline: the diffusion analyses do not pass SDXL's added conditions (pooled text embeddings, time ids) yet; `models sample` draws from it");
        UNet = pipeline.Denoiser as UNet2DConditionModel
            ?? throw new NotSupportedException($"the pipeline's denoiser is a {pipeline.Denoiser.GetType().Name}, not a UNet2DConditionModel with hook points");
        ImageSize = (UNet.Config.SampleSize ?? 64) * pipeline.VaeScaleFactor;
        if (ImageSize < 16 || ImageSize > 512)
            throw new NotSupportedException($"the pipeline draws {ImageSize}x{ImageSize} images; the ShapesWorld analyses render 16 to 512 pixels");
        _pipeline = pipeline;
        Device = pipeline.Vae.parameters().First().device;
        Text = new SdPromptEncoder(pipeline.Encoders[0], Device);
        _noising = new UNetNoising(pipeline.Scheduler, Device);
        _classifier = new(() => classifier(ClassifierSide(ImageSize)));
        SamplerDefaults = new SamplerOptions { Steps = steps, Guidance = guidance }.Validate();
    }

    /// <summary>The side the oracle reads: the image's up to 32, else 32 (ShapesWorld's attributes are legible there).</summary>
    public static int ClassifierSide(int imageSize) => imageSize <= 32 ? imageSize / 8 * 8 : 32;

    public UNet2DConditionModel UNet { get; }
    public Device Device { get; }
    public IPromptEncoder Text { get; }
    public AttributeClassifier Classifier => _classifier.Value;
    public HookRegistry Hooks => UNet.Hooks;
    public int ImageSize { get; }
    public SamplerOptions SamplerDefaults { get; }

    /// <summary>A pipeline never saw ShapesWorld, so every split is held out; this is the zoo U-Net's.</summary>
    public long EvalSeed => new UNetZooConfig().EvalSeed;

    public IReadOnlyList<string> BlockHooks => UNetSites.BlockHooks(UNet);
    public IReadOnlyList<SkippableBlock> Blocks => UNetSites.Blocks(UNet);
    public IReadOnlyList<AttentionSite> AttentionSites => UNetSites.AttentionSites(UNet);

    /// <summary>One latent: the control probes the noisy latents the U-Net reads.</summary>
    public int PixelPatch => _pipeline.VaeScaleFactor;

    public long ParameterCount => UNet.parameters().Sum(p => p.numel());

    public Tensor CleanInput(Tensor images)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var vae = _pipeline.Vae.Config;
        var mean = NonFiniteRetry.Run(() => _pipeline.Vae.Encode(FlowMatching.ToModelSpace(images)).Mean, "the VAE encode");
        if (vae.ShiftFactor is double shift) mean = mean.sub(Scalars.S(shift));
        return scope.MoveToOuter(mean.mul(Scalars.S(vae.ScalingFactor)));
    }

    public Tensor Noise(Tensor x0, Tensor s, Tensor eps) => _noising.Noise(x0, _noising.Timesteps(s), eps);

    public Tensor Forward(Tensor xs, Tensor s, TextCondition text) => UNet.Forward(xs, _noising.Timesteps(s).to_type(ScalarType.Float32), text.Tokens);

    public Tensor Tokens(string hook, Tensor activation) => UNetSites.Tokens(hook, activation);

    public Tensor LossPerImage(Tensor x0, Tensor s, Tensor eps, TextCondition text) => _noising.LossPerImage(UNet, x0, _noising.Timesteps(s), eps, text);

    public SamplerOptions Sampler(long seed) => SamplerDefaults with { Seed = seed };

    public Tensor Sample(TextCondition text, TextCondition nullText, SamplerOptions options, Action<double, Tensor>? afterStep = null, Action<double>? beforeStep = null) =>
        Run(text, nullText, options, afterStep, beforeStep, null);

    public Tensor SampleReading(TextCondition text, TextCondition nullText, SamplerOptions options, Action<UNetStepReading> read) =>
        Run(text, nullText, options, null, null, read);

    Tensor Run(TextCondition text, TextCondition nullText, SamplerOptions options, Action<double, Tensor>? afterStep, Action<double>? beforeStep, Action<UNetStepReading>? read)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var batch = (int)text.Tokens.shape[0];
        var guided = options.Guidance > 1;
        var hidden = guided ? cat([nullText.Tokens, text.Tokens], 0) : text.Tokens;
        var side = ImageSize / _pipeline.VaeScaleFactor;
        double last = _noising.TrainTimesteps - 1;
        var index = 0;
        var latents = _pipeline.SampleLatents(hidden, null, options.Guidance, options.Steps, options.Seed, batch, side, side,
            afterStep: afterStep is null && read is null ? null : (t, input, clean) =>
            {
                using var step = NewDisposeScope();
                var image = Decode(clean);
                afterStep?.Invoke(t / last, image);
                read?.Invoke(new UNetStepReading(index++, t / last, input, image, guided ? batch : 0));
            }, beforeStep: beforeStep is null ? null : t => beforeStep(t / last));
        return scope.MoveToOuter(FlowMatching.ToPixels(Decode(latents)));
    }

    /// <summary>Latents through the VAE's decoder: images [B, 3, S, S] in about [-1, 1].</summary>
    Tensor Decode(Tensor latents)
    {
        var vae = _pipeline.Vae.Config;
        var z = latents.div(Scalars.S(vae.ScalingFactor));
        if (vae.ShiftFactor is double shift) z = z.add(Scalars.S(shift));
        return NonFiniteRetry.Run(() => _pipeline.Vae.Decode(z), "the VAE decode");
    }

    public void Dispose()
    {
        _pipeline.Dispose();
        _noising.Dispose();
        if (_classifier.IsValueCreated) _classifier.Value.Dispose();
    }
}
