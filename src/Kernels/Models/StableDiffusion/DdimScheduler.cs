using TorchSharp;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Models.StableDiffusion;

/// <summary>
/// diffusers' DDIMScheduler with eta 0 (deterministic): from x_t and the model's output, the predicted clean sample
/// x0 and noise eps, then x_prev = sqrt(a_prev) x0 + sqrt(1 - a_prev) eps, where a = alphas_cumprod at t and at
/// t - N / n (below 0: 1 when set_alpha_to_one, else alphas_cumprod[0], CompVis's choice). The previous timestep is
/// always t - N / n, as in diffusers, also under 'trailing' and 'linspace' spacing.
/// </summary>
public sealed class DdimScheduler
{
    public SchedulerConfig Config { get; }
    public IReadOnlyList<double> AlphasCumprod { get; }
    /// <summary>The alpha product the last step goes to.</summary>
    public double FinalAlphaCumprod { get; }
    /// <summary>DDIM starts from unit-variance noise.</summary>
    public double InitNoiseSigma => 1.0;
    /// <summary>The timesteps of the set schedule, highest first (empty before <see cref="SetTimesteps"/>).</summary>
    public IReadOnlyList<long> Timesteps { get; private set; } = [];
    public int NumInferenceSteps { get; private set; }

    public DdimScheduler(SchedulerConfig config)
    {
        Config = config.Require(SchedulerConfig.Ddim);
        var alphas = SchedulerBetas.AlphasCumprod(config);
        AlphasCumprod = alphas;
        FinalAlphaCumprod = config.SetAlphaToOne ? 1.0 : alphas[0];
    }

    public void SetTimesteps(int numInferenceSteps)
    {
        var steps = SchedulerTimesteps.Spaced(Config, numInferenceSteps, integral: true);
        if (steps.FirstOrDefault(t => t < 0 || t >= Config.NumTrainTimesteps, -1) is var bad && bad >= 0)
            throw new ArgumentException($"timestep {bad} falls outside 0..{Config.NumTrainTimesteps - 1} (steps_offset {Config.StepsOffset} with {numInferenceSteps} steps)");
        Timesteps = steps.Select(t => (long)t).ToArray();
        NumInferenceSteps = numInferenceSteps;
    }

    /// <summary>DDIM does not scale the model's input: the sample itself.</summary>
    public Tensor ScaleModelInput(Tensor sample, long timestep) => sample;

    /// <summary>The timestep a step from <paramref name="timestep"/> lands on (negative after the last).</summary>
    public long PreviousTimestep(long timestep) => timestep - Config.NumTrainTimesteps / RequireSet();

    /// <summary>alphas_cumprod at t and at the previous timestep (the final alpha below 0).</summary>
    public (double AlphaT, double AlphaPrev) Alphas(long timestep)
    {
        if (timestep < 0 || timestep >= Config.NumTrainTimesteps)
            throw new ArgumentException($"timestep {timestep} is outside 0..{Config.NumTrainTimesteps - 1}", nameof(timestep));
        var prev = PreviousTimestep(timestep);
        return (AlphasCumprod[(int)timestep], prev >= 0 ? AlphasCumprod[(int)prev] : FinalAlphaCumprod);
    }

    /// <summary>The sample at the previous timestep (eta 0).</summary>
    public Tensor Step(Tensor modelOutput, long timestep, Tensor sample)
    {
        var (_, aPrev) = Alphas(timestep);
        using var scope = NewDisposeScope();
        var (x0, eps) = Predicted(modelOutput, timestep, sample);
        using var keep = Math.Sqrt(aPrev).ToScalar();
        using var toward = Math.Sqrt(1 - aPrev).ToScalar();
        return scope.MoveToOuter(x0.mul(keep).add_(eps.mul(toward)));
    }

    /// <summary>diffusers' pred_original_sample: the clean sample the model's output implies at this timestep
    /// (clipped when the config clips).</summary>
    public Tensor PredictedOriginal(Tensor modelOutput, long timestep, Tensor sample)
    {
        using var scope = NewDisposeScope();
        return scope.MoveToOuter(Predicted(modelOutput, timestep, sample).X0);
    }

    (Tensor X0, Tensor Eps) Predicted(Tensor modelOutput, long timestep, Tensor sample)
    {
        if (!modelOutput.shape.SequenceEqual(sample.shape))
            throw new ArgumentException($"model output [{string.Join(",", modelOutput.shape)}] and sample [{string.Join(",", sample.shape)}] differ in shape");
        var (a, _) = Alphas(timestep);
        double sa = Math.Sqrt(a), sb = Math.Sqrt(1 - a);
        Tensor x0, eps;
        if (Config.PredictionType == "epsilon")
        {
            using var c1 = (1 / sa).ToScalar();
            using var c2 = (-sb / sa).ToScalar();
            x0 = sample.mul(c1).add_(modelOutput.mul(c2));
            eps = modelOutput;
        }
        else
        {
            using var ca = sa.ToScalar();
            using var cb = sb.ToScalar();
            using var minus = (-sb).ToScalar();
            x0 = sample.mul(ca).add_(modelOutput.mul(minus));
            eps = modelOutput.mul(ca).add_(sample.mul(cb));
        }
        if (Config.ClipSample)
        {
            using var lo = (-Config.ClipSampleRange).ToScalar();
            using var hi = Config.ClipSampleRange.ToScalar();
            x0 = x0.clamp(lo, hi);
        }
        return (x0, eps);
    }

    int RequireSet() => NumInferenceSteps > 0 ? NumInferenceSteps
        : throw new InvalidOperationException("call SetTimesteps before stepping the DDIM scheduler");
}
