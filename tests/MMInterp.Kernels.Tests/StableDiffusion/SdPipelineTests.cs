using MMInterp.Kernels.Checkpoints;
using MMInterp.Kernels.Models.StableDiffusion;
using MMInterp.Tests;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Tests.StableDiffusion;

/// <summary>A closed-form noise predictor that records what the pipeline hands it.</summary>
sealed class RecordingDenoiser(Func<Tensor, Tensor, Tensor, Tensor> predict, int? sampleSize = TinySdPipeline.LatentSide) : ISdDenoiser
{
    public sealed record Call(Tensor Latents, Tensor Timesteps, Tensor Hidden, Tensor? TextEmbeds, Tensor? TimeIds);
    public List<Call> Calls { get; } = [];
    public int InChannels => 4;
    public int? SampleSize => sampleSize;

    public Tensor PredictNoise(Tensor latents, Tensor timesteps, Tensor encoderHiddenStates, SdAddedCondition? added)
    {
        Tensor Keep(Tensor t) => t.detach().clone().DetachFromDisposeScope();
        Calls.Add(new Call(Keep(latents), Keep(timesteps), Keep(encoderHiddenStates), added is null ? null : Keep(added.TextEmbeds), added is null ? null : Keep(added.TimeIds)));
        return predict(latents, timesteps, encoderHiddenStates);
    }

    public void Dispose() { }
}

/// <summary>The sampling loop against the same tiny case computed by hand: with a zero predictor and no guidance DDIM
/// only rescales the initial noise (x_prev = sqrt(a_prev / a_t) x), Euler with guidance follows
/// x += (uncond + g (cond - uncond)) (sigma_next - sigma) on inputs scaled by 1 / sqrt(sigma^2 + 1); SDXL's
/// conditioning is both encoders' hidden_states[-2] side by side, text_encoder_2's projected pooled output and the
/// six size numbers, with zeros for the unconditional half under force_zeros_for_empty_prompt.</summary>
public sealed class SdPipelineTests
{
    static string Dir(bool xl = false, string scheduler = "DDIMScheduler") =>
        TinySdPipeline.Write(Directory.CreateTempSubdirectory("mminterp-sd-pipe-").FullName, xl, scheduler: scheduler);

    /// <summary>Stable Diffusion's scaled_linear schedule, written out: betas = linspace(sqrt 0.00085, sqrt 0.012)^2.</summary>
    static double[] AlphasCumprod()
    {
        var a = new double[1000];
        double s0 = Math.Sqrt(0.00085), s1 = Math.Sqrt(0.012), product = 1;
        for (var i = 0; i < 1000; i++)
        {
            var beta = Math.Pow(s0 + (s1 - s0) * i / 999, 2);
            a[i] = product *= 1 - beta;
        }
        return a;
    }

    static Tensor Noise(long seed, params long[] shape)
    {
        using var g = new Generator((ulong)seed);
        return randn(shape, generator: g);
    }

    [Fact]
    public void WithAZeroPredictorAndNoGuidanceDdimRescalesTheSeededNoiseAsItsFormulaSays()
    {
        var zero = new RecordingDenoiser((x, _, _) => zeros_like(x));
        using var pipe = StableDiffusionDirectory.Load(Dir(), (_, _) => zero);
        var progress = new List<SdStepProgress>();
        string[] prompts = ["a red cat", "a blue dog"];
        var run = pipe.Generate(new SdRequest { Prompts = prompts, GuidanceScale = 1, Steps = 4, Seed = 7 }, progress.Add);

        // leading spacing, steps_offset 1: 751, 501, 251, 1; the last step lands on alphas_cumprod[0] (set_alpha_to_one false).
        long[] ts = [751, 501, 251, 1];
        Assert.Equal(ts.Select(t => (double)t), progress.Select(p => p.Timestep));
        Assert.Equal([1, 2, 3, 4], progress.Select(p => p.Step));
        var a = AlphasCumprod();
        var factor = ts.Aggregate(1.0, (f, t) => f * Math.Sqrt((t - 250 >= 0 ? a[t - 250] : a[0]) / a[t]));
        var expected = Noise(7, 2, 4, 4, 4) * factor;
        Assert.True(run.Latents.allclose(expected, rtol: 1e-5, atol: 1e-7), $"latents differ by {(run.Latents - expected).abs().max().item<float>()}");

        // No guidance: one pass of the prompts per step, their last_hidden_state, the timestep as float per item.
        Assert.Equal(4, zero.Calls.Count);
        var e = pipe.Encoders[0];
        var cond = e.Model.Encode(e.Tokenizer.Encode(prompts)).LastHidden;
        Assert.True(zero.Calls[0].Hidden.allclose(cond, rtol: 0, atol: 0));
        Assert.Equal(new float[] { 501, 501 }, zero.Calls[1].Timesteps.data<float>().ToArray());
        Assert.Null(zero.Calls[0].TextEmbeds);

        // The image is the VAE's decode of latents / scaling_factor (0.5 here), mapped from [-1, 1] to bytes.
        var decoded = pipe.Vae.Decode(expected / 0.5);
        var bytes = ((decoded / 2 + 0.5).clamp(0, 1) * 255).round().to_type(ScalarType.Byte).permute(0, 2, 3, 1).contiguous();
        Assert.Equal(2, run.Images.Count);
        Assert.Equal((8, 8), (run.Images[1].Width, run.Images[1].Height));
        var want = bytes[1].data<byte>().ToArray();
        Assert.True(run.Images[1].Pixels.Zip(want).All(p => Math.Abs(p.First - p.Second) <= 1), "image bytes differ from the hand decode");

        // Seeded: the same seed gives the same latents, another seed others.
        Assert.True(Clip.Same.Values(pipe.Generate(new SdRequest { Prompts = prompts, GuidanceScale = 1, Steps = 4, Seed = 7 }).Latents, run.Latents));
        Assert.False(pipe.Generate(new SdRequest { Prompts = prompts, GuidanceScale = 1, Steps = 4, Seed = 8 }).Latents.allclose(run.Latents));
    }

    /// <summary>A predictor that depends on its input, its timestep and its text: 0.1 x + 0.0001 t + 0.5 mean(text).</summary>
    static Tensor Closed(Tensor x, Tensor t, Tensor h) =>
        x * 0.1 + t.reshape(-1, 1, 1, 1) * 1e-4 + h.mean([1, 2]).reshape(-1, 1, 1, 1) * 0.5;

    [Fact]
    public void EulerWithGuidanceFollowsTheHandLoop()
    {
        var model = new RecordingDenoiser(Closed);
        using var pipe = StableDiffusionDirectory.Load(Dir(scheduler: "EulerDiscreteScheduler"), (_, _) => model);
        string[] prompts = ["a red cat", "photo of a dog"], negatives = ["blue", ""];
        const double g = 3.5;
        var run = pipe.Generate(new SdRequest { Prompts = prompts, NegativePrompts = negatives, GuidanceScale = g, Steps = 3, Seed = 11 });

        var euler = new EulerDiscreteScheduler(pipe.Scheduler);
        euler.SetTimesteps(3);
        var (sigmas, ts) = (euler.Sigmas, euler.Timesteps);
        var e = pipe.Encoders[0];
        var cond = e.Model.Encode(e.Tokenizer.Encode(prompts)).LastHidden;
        var uncond = e.Model.Encode(e.Tokenizer.Encode(negatives)).LastHidden;
        // 'leading' spacing: init_noise_sigma = sqrt(sigma_max^2 + 1).
        var x = Noise(11, 2, 4, 4, 4) * Math.Sqrt(sigmas[0] * sigmas[0] + 1);
        for (var i = 0; i < 3; i++)
        {
            var input = x / Math.Sqrt(sigmas[i] * sigmas[i] + 1);
            var t = full(2, (float)ts[i]);
            var eu = Closed(input, t, uncond);
            var ec = Closed(input, t, cond);
            x = x + (eu + g * (ec - eu)) * (sigmas[i + 1] - sigmas[i]);
        }
        Assert.True(run.Latents.allclose(x, rtol: 1e-4, atol: 1e-5), $"latents differ by {(run.Latents - x).abs().max().item<float>()}");
        // The batch is [uncond; cond] in one call per step.
        Assert.Equal(3, model.Calls.Count);
        Assert.Equal(4, model.Calls[0].Latents.shape[0]);
        Assert.True(model.Calls[0].Hidden[..2].allclose(uncond, rtol: 0, atol: 0));
        Assert.True(model.Calls[0].Hidden[2..].allclose(cond, rtol: 0, atol: 0));

        var err = Assert.Throws<ArgumentException>(() => pipe.Generate(new SdRequest { Prompts = prompts, NegativePrompts = ["one"] }));
        Assert.Contains("1 negative prompt(s) for 2 prompt(s)", err.Message);
        err = Assert.Throws<ArgumentException>(() => pipe.Generate(new SdRequest { Prompts = prompts, Height = 9 }));
        Assert.Contains("multiples of 2", err.Message);
    }

    [Fact]
    public void SdxlConditionsOnBothEncodersThePooledProjectionAndTheSizes()
    {
        var model = new RecordingDenoiser((x, _, _) => zeros_like(x));
        using var pipe = StableDiffusionDirectory.Load(Dir(xl: true, scheduler: "EulerDiscreteScheduler"), (_, _) => model);
        string[] prompts = ["a red cat"];
        var run = pipe.Generate(new SdRequest { Prompts = prompts, GuidanceScale = 5, Steps = 2, Seed = 3 });
        Assert.Equal(new long[] { 1, 4, 4, 4 }, run.Latents.shape);

        var (e1, e2) = (pipe.Encoders[0], pipe.Encoders[1]);
        var o1 = e1.Model.Encode(e1.Tokenizer.Encode(prompts), fromEnd: 2);
        var o2 = e2.Model.Encode(e2.Tokenizer.Encode(prompts), fromEnd: 2);
        var call = model.Calls[0];
        Assert.Equal(new long[] { 2, TinySdPipeline.MaxLength, TinySdPipeline.Width1 + TinySdPipeline.Width2 }, call.Hidden.shape);
        // force_zeros_for_empty_prompt and no negative prompt: the unconditional half is zeros.
        Assert.Equal(0, call.Hidden[0].abs().max().item<float>());
        Assert.Equal(0, call.TextEmbeds![0].abs().max().item<float>());
        Assert.True(call.Hidden[1].allclose(cat([o1.State, o2.State], -1)[0], rtol: 0, atol: 0));
        Assert.True(call.TextEmbeds[1].allclose(o2.Projected![0], rtol: 0, atol: 0));
        // The penultimate state is not the last one (tower 2 has 3 layers): a mix-up would show.
        Assert.False(o2.State.allclose(o2.LastHidden, rtol: 0, atol: 1e-3));
        Assert.Equal(new float[] { 8, 8, 0, 0, 8, 8, 8, 8, 0, 0, 8, 8 }, call.TimeIds!.data<float>().ToArray());

        model.Calls.Clear();
        pipe.Generate(new SdRequest
        {
            Prompts = prompts, NegativePrompts = ["blue dog"], GuidanceScale = 5, Steps = 1, Height = 16, Width = 8,
            OriginalSize = (32, 24), CropTopLeft = (2, 3),
        });
        call = model.Calls[0];
        Assert.Equal(new long[] { 2, 4, 8, 4 }, call.Latents.shape);
        Assert.Equal(new float[] { 32, 24, 2, 3, 16, 8 }, call.TimeIds![1].data<float>().ToArray());
        // A negative prompt given is encoded, not zeroed.
        var n2 = e2.Model.Encode(e2.Tokenizer.Encode(["blue dog"]), fromEnd: 2);
        Assert.True(call.TextEmbeds![0].allclose(n2.Projected![0], rtol: 0, atol: 0));
    }
}
