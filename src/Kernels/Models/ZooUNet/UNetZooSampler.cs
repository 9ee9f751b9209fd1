using MMInterp.Kernels.Models.Diffusion;
using MMInterp.Kernels.Models.StableDiffusion;
using MMInterp.Kernels.Tensors;
using TorchSharp;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Models.ZooUNet;

/// <summary>One DDIM step as the sampler saw it: the noisy input at timestep T and the guided noise prediction.</summary>
public sealed record UNetSampleStep(int Index, long T, Tensor Xt, Tensor Noise);

/// <summary>DDIM sampling of the pixel-space zoo U-Net with classifier-free guidance: the U-Net runs once per step on
/// [null; conditional] rows (diffusers' order, so hooks see the null half first), noise = null + g (cond - null).</summary>
public static class UNetZooSampler
{
    /// <summary>Images in [0, 1], [B, 3, S, S]; the initial noise comes from a generator seeded with <paramref name="seed"/>.</summary>
    /// <param name="beforeStep">each step's timestep, before the U-Net runs</param>
    public static Tensor Sample(UNet2DConditionModel unet, TextCondition text, TextCondition nullText, int steps, double guidance, long seed,
        Action<UNetSampleStep>? afterStep = null, Action<long>? beforeStep = null)
    {
        if (nullText.Count != text.Count) throw new ArgumentException($"null condition has {nullText.Count} rows but the prompts have {text.Count}");
        var side = unet.Config.SampleSize ?? throw new ArgumentException("the U-Net config has no sample_size");
        var b = text.Count;
        var device = text.Tokens.device;
        using var _ = no_grad();
        var scheduler = new SdScheduler(UNetZooConfig.Scheduler, steps);
        var guided = guidance != 1.0;
        var states = guided ? cat([nullText.Tokens, text.Tokens], 0) : text.Tokens;
        using var generator = new Generator((ulong)seed, device);
        var x = randn([b, unet.Config.OutChannels, side, side], generator: generator, device: device);
        for (var i = 0; i < scheduler.Timesteps.Count; i++)
        {
            using var scope = NewDisposeScope();
            var t = (long)scheduler.Timesteps[i];
            beforeStep?.Invoke(t);
            var input = CoordinateChannels.Input(unet.Config, guided ? cat([x, x], 0) : x);
            using var tValue = ((double)t).ToScalar();
            var ts = full([input.shape[0]], tValue, ScalarType.Float32, device: device);
            var noise = NonFiniteRetry.Run(() => unet.Forward(input, ts, states), $"the U-Net's prediction at timestep {t}");
            if (guided)
            {
                var halves = noise.chunk(2, 0);
                using var g = guidance.ToScalar();
                noise = halves[0].add(halves[1].sub(halves[0]).mul_(g));
            }
            afterStep?.Invoke(new UNetSampleStep(i, t, x, noise));
            var next = scheduler.Step(noise, t, x).DetachFromDisposeScope();
            x.Dispose();
            x = next;
        }
        using var half = 0.5.ToScalar();
        using var zero = 0.0.ToScalar();
        using var one = 1.0.ToScalar();
        var pixels = x.mul(half).add_(half).clamp_(zero, one);
        x.Dispose();
        return pixels;
    }
}
