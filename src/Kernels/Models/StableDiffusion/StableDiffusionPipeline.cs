using MMInterp.Kernels.Images;
using MMInterp.Kernels.Models.Clip;
using MMInterp.Kernels.Tensors;
using MMInterp.Kernels.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Models.StableDiffusion;

/// <summary>A text encoder of a pipeline with the tokeniser its prompts go through.</summary>
public sealed record SdTextEncoder(ClipTextModel Model, ClipPromptTokenizer Tokenizer);

/// <summary>
/// diffusers' StableDiffusionPipeline and StableDiffusionXLPipeline text-to-image sampling, in float32 on the CPU:
/// prompts to embeddings (SD: text_encoder's last_hidden_state; SDXL: hidden_states[-2] of both encoders concatenated,
/// and text_encoder_2's projected pooled output with the time ids as added conditions), initial latents from a seeded
/// generator times init_noise_sigma, the scheduler's loop with classifier-free guidance (uncond first in the batch,
/// noise = uncond + g (cond - uncond), only when g &gt; 1), then the VAE decode of latents / scaling_factor and
/// diffusers' postprocess ((x / 2 + 0.5) clamped, x 255 rounded). Owns its parts.
/// </summary>
public sealed class StableDiffusionPipeline : IDisposable
{
    public StableDiffusionPipeline(bool xl, IReadOnlyList<SdTextEncoder> encoders, AutoencoderKl vae, SchedulerConfig scheduler,
        ISdDenoiser denoiser, bool forceZerosForEmptyPrompt = false)
    {
        if (encoders.Count != (xl ? 2 : 1))
            throw new ArgumentException($"{(xl ? "SDXL" : "Stable Diffusion")} takes {(xl ? 2 : 1)} text encoder(s), got {encoders.Count}", nameof(encoders));
        if (xl && encoders[1].Model.Config.ProjectionDim is null)
            throw new ArgumentException("SDXL's text_encoder_2 must be a CLIPTextModelWithProjection (its pooled output is projected)", nameof(encoders));
        if (denoiser.InChannels != vae.Config.LatentChannels)
            throw new ArgumentException($"the U-Net reads {denoiser.InChannels} channels but the VAE's latents have {vae.Config.LatentChannels}", nameof(denoiser));
        IsXl = xl;
        Encoders = encoders;
        Vae = vae;
        Scheduler = scheduler.Validate();
        Denoiser = denoiser;
        ForceZerosForEmptyPrompt = forceZerosForEmptyPrompt;
    }

    public bool IsXl { get; }
    public IReadOnlyList<SdTextEncoder> Encoders { get; }
    public AutoencoderKl Vae { get; }
    public SchedulerConfig Scheduler { get; }
    public ISdDenoiser Denoiser { get; }
    public bool ForceZerosForEmptyPrompt { get; }

    /// <summary>2^(levels - 1): pixels per latent.</summary>
    public int VaeScaleFactor => Vae.Config.DownFactor;

    /// <summary>diffusers' encode_prompt for one list of prompts (no guidance duplication).</summary>
    public SdPromptEmbeddings EncodePrompts(IReadOnlyList<string> prompts)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        if (!IsXl)
        {
            var e = Encoders[0];
            var out1 = e.Model.Encode(e.Tokenizer.Encode(prompts), fromEnd: 1);
            return new SdPromptEmbeddings(scope.MoveToOuter(out1.LastHidden), null);
        }
        var states = new List<Tensor>();
        Tensor? pooled = null;
        foreach (var e in Encoders)
        {
            var o = e.Model.Encode(e.Tokenizer.Encode(prompts), fromEnd: 2);
            states.Add(o.State);
            pooled = o.Projected; // text_encoder_2's, the last
        }
        return new SdPromptEmbeddings(scope.MoveToOuter(cat(states, -1)), scope.MoveToOuter(pooled!));
    }

    public SdGeneration Generate(SdRequest request, Action<SdStepProgress>? progress = null, CancellationToken ct = default)
    {
        var batch = request.Prompts.Count;
        if (batch == 0) throw new ArgumentException("no prompts", nameof(request));
        if (request.NegativePrompts is { } negatives && negatives.Count != batch)
            throw new ArgumentException($"{negatives.Count} negative prompt(s) for {batch} prompt(s); give one per prompt", nameof(request));
        if (!double.IsFinite(request.GuidanceScale)) throw new ArgumentException($"guidance scale must be finite, got {request.GuidanceScale}", nameof(request));
        var f = VaeScaleFactor;
        var defaultSide = (Denoiser.SampleSize ?? 64) * f;
        int height = request.Height ?? defaultSide, width = request.Width ?? defaultSide;
        if (height <= 0 || width <= 0 || height % f != 0 || width % f != 0)
            throw new ArgumentException($"image size {width}x{height} must be positive multiples of {f} (the VAE's down factor)", nameof(request));
        var guided = request.GuidanceScale > 1;

        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var cond = EncodePrompts(request.Prompts);
        var (hidden, pooled) = (cond.Hidden, cond.Pooled);
        if (guided)
        {
            var uncond = IsXl && ForceZerosForEmptyPrompt && request.NegativePrompts is null
                ? new SdPromptEmbeddings(zeros_like(cond.Hidden), zeros_like(cond.Pooled!))
                : EncodePrompts(request.NegativePrompts ?? Enumerable.Repeat("", batch).ToList());
            hidden = cat([uncond.Hidden, cond.Hidden], 0);
            pooled = pooled is null ? null : cat([uncond.Pooled!, pooled], 0);
        }
        SdAddedCondition? added = null;
        if (IsXl)
        {
            var (oh, ow) = request.OriginalSize ?? (height, width);
            var (th, tw) = request.TargetSize ?? (height, width);
            var ids = tensor(new float[] { oh, ow, request.CropTopLeft.Top, request.CropTopLeft.Left, th, tw }).reshape(1, 6);
            added = new SdAddedCondition(pooled!, ids.expand(hidden.shape[0], 6).contiguous());
        }

        var latents = SampleLatents(hidden, added, guided ? request.GuidanceScale : 1, request.Steps, request.Seed, batch, height / f, width / f,
            progress: progress, ct: ct);
        var images = Decode(latents);
        return new SdGeneration(images, scope.MoveToOuter(latents));
    }

    /// <summary>The scheduler's loop from seeded initial latents (times init_noise_sigma) to the final latents.</summary>
    /// <param name="hidden">[B or 2B, T, d]: with guidance &gt; 1 the unconditional rows first, then the conditional</param>
    /// <param name="added">SDXL's added conditions for every row of <paramref name="hidden"/>; null for SD</param>
    /// <param name="guidance">classifier-free guidance scale (noise = uncond + g (cond - uncond)); 1 or less: none</param>
    /// <param name="afterStep">each step's timestep, the latents x_t it started from and its clean-latent estimate
    /// (pred_original_sample of the guided output, [B, C, h, w]; both valid during the call)</param>
    /// <param name="beforeStep">each step's timestep, before the denoiser runs</param>
    public Tensor SampleLatents(Tensor hidden, SdAddedCondition? added, double guidance, int steps, long seed, int batch, int latentHeight, int latentWidth,
        Action<double, Tensor, Tensor>? afterStep = null, Action<SdStepProgress>? progress = null, CancellationToken ct = default, Action<double>? beforeStep = null)
    {
        var guided = guidance > 1;
        if (hidden.shape[0] != (guided ? 2 : 1) * batch)
            throw new ArgumentException($"{hidden.shape[0]} rows of text states for {batch} image(s){(guided ? " with guidance (unconditional rows first)" : "")}", nameof(hidden));
        var scheduler = new SdScheduler(Scheduler, steps);
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        using var generator = new Generator((ulong)seed);
        using var sigma = scheduler.InitNoiseSigma.ToScalar();
        var latents = randn([batch, Denoiser.InChannels, latentHeight, latentWidth], generator: generator).mul_(sigma);
        var timesteps = scheduler.Timesteps;
        for (var i = 0; i < timesteps.Count; i++)
        {
            ct.ThrowIfCancellationRequested();
            using var step = NewDisposeScope();
            var t = timesteps[i];
            beforeStep?.Invoke(t);
            var input = scheduler.ScaleModelInput(guided ? cat([latents, latents], 0) : latents, t);
            using var tValue = ((double)(float)t).ToScalar();
            var ts = full([input.shape[0]], tValue, ScalarType.Float32);
            var noise = NonFiniteRetry.Run(() => Denoiser.PredictNoise(input, ts, hidden, added), $"the U-Net's prediction at step {i + 1} (timestep {t})");
            if (guided)
            {
                var halves = noise.chunk(2, 0);
                using var g = guidance.ToScalar();
                noise = halves[0].add(halves[1].sub(halves[0]).mul_(g));
            }
            if (afterStep is not null) afterStep(t, latents, scheduler.PredictedOriginal(noise, t, latents));
            latents = step.MoveToOuter(scheduler.Step(noise, t, latents));
            progress?.Invoke(new SdStepProgress(i + 1, timesteps.Count, t));
        }
        return scope.MoveToOuter(latents);
    }

    /// <summary>The VAE decode of latents / scaling_factor (+ shift_factor when the config has one) as 8-bit images.</summary>
    public IReadOnlyList<RgbImage> Decode(Tensor latents)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        using var inverse = (1 / Vae.Config.ScalingFactor).ToScalar();
        var z = latents.mul(inverse);
        if (Vae.Config.ShiftFactor is double shift) { using var s = shift.ToScalar(); z = z.add(s); }
        using var half = 0.5.ToScalar();
        using var byteMax = 255.ToScalar();
        using var zero = 0.ToScalar();
        using var one = 1.ToScalar();
        var pixels = NonFiniteRetry.Run(() => Vae.Decode(z), "the VAE decode").mul(half).add_(half).clamp_(zero, one).mul_(byteMax).round_().to_type(ScalarType.Byte).permute(0, 2, 3, 1).contiguous();
        var (b, h, w) = ((int)pixels.shape[0], (int)pixels.shape[1], (int)pixels.shape[2]);
        var bytes = pixels.data<byte>().ToArray();
        var size = h * w * 3;
        return Enumerable.Range(0, b).Select(i => new RgbImage(w, h, bytes[(i * size)..((i + 1) * size)])).ToList();
    }

    public void Dispose()
    {
        foreach (var e in Encoders) e.Model.Dispose();
        Vae.Dispose();
        Denoiser.Dispose();
    }
}
