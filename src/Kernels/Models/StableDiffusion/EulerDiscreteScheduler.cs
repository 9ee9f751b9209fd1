using TorchSharp;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Models.StableDiffusion;

/// <summary>
/// diffusers' EulerDiscreteScheduler without churn (Karras et al.'s Algorithm 2 as k-diffusion's sample_euler): the
/// sample lives at noise level sigma = sqrt((1 - a) / a); the model sees it scaled by 1 / sqrt(sigma^2 + 1) at its
/// timestep t; a step moves x by (x - x0) / sigma * (sigma_next - sigma). Sigmas between training steps are
/// interpolated linearly in sigma (diffusers' "linear" interpolation_type); k-diffusion interpolates log sigma, so the
/// two differ at fractional timesteps ('linspace' spacing) and agree at integral ones. A schedule given as sigmas
/// (<see cref="SetSigmas"/>) maps each to its timestep by log-sigma interpolation, as both do.
/// </summary>
public sealed class EulerDiscreteScheduler
{
    public SchedulerConfig Config { get; }
    public IReadOnlyList<double> AlphasCumprod { get; }
    /// <summary>sigma at each training timestep, ascending.</summary>
    public IReadOnlyList<double> SigmaTable { get; }
    /// <summary>The timesteps the model is called at, highest first (float32 values, as diffusers keeps them).</summary>
    public IReadOnlyList<double> Timesteps { get; private set; } = [];
    /// <summary>One sigma per timestep and the final one (0 or the smallest training sigma), float32 values.</summary>
    public IReadOnlyList<double> Sigmas { get; private set; } = [];
    /// <summary>The step the next <see cref="Step"/> takes (null until the first scale or step).</summary>
    public int? StepIndex { get; private set; }

    readonly double[] _logSigmas;

    public EulerDiscreteScheduler(SchedulerConfig config)
    {
        Config = config.Require(SchedulerConfig.Euler);
        var alphas = SchedulerBetas.AlphasCumprod(config);
        AlphasCumprod = alphas;
        var table = alphas.Select(a => Math.Sqrt((1 - a) / a)).ToArray();
        SigmaTable = table;
        _logSigmas = table.Select(s => Math.Log(s)).ToArray();
    }

    /// <summary>diffusers' init_noise_sigma: the largest sigma under 'linspace'/'trailing', sqrt(sigma_max^2 + 1) under
    /// 'leading' (k-diffusion starts from sigma_max itself).</summary>
    public double InitNoiseSigma
    {
        get
        {
            var max = RequireSet().Max();
            return Config.TimestepSpacing is "linspace" or "trailing" ? max : Math.Sqrt(max * max + 1);
        }
    }

    public void SetTimesteps(int numInferenceSteps)
    {
        var steps = SchedulerTimesteps.Spaced(Config, numInferenceSteps, integral: false);
        if (steps.FirstOrDefault(t => t < 0 || t > Config.NumTrainTimesteps - 1, -1) is var bad && bad >= 0)
            throw new ArgumentException($"timestep {bad} falls outside 0..{Config.NumTrainTimesteps - 1} (steps_offset {Config.StepsOffset} with {numInferenceSteps} steps)");
        var sigmas = steps.Select(Interpolate).Append(FinalSigma()).Select(s => (double)(float)s).ToArray();
        Timesteps = steps.Select(t => (double)(float)t).ToArray();
        Sigmas = sigmas;
        StepIndex = null;
    }

    /// <summary>A schedule given as noise levels, highest first, with the final one (k-diffusion's convention: n + 1
    /// values for n steps); the model is called at each sigma's timestep by log-sigma interpolation.</summary>
    public void SetSigmas(IReadOnlyList<double> sigmas)
    {
        if (sigmas.Count < 2) throw new ArgumentException($"sigmas must hold at least 2 values (n steps and the final sigma), got {sigmas.Count}", nameof(sigmas));
        for (var i = 0; i < sigmas.Count; i++)
            if (!(sigmas[i] >= 0) || !double.IsFinite(sigmas[i]) || (i > 0 && sigmas[i] > sigmas[i - 1]))
                throw new ArgumentException($"sigmas must be finite, non-negative and non-increasing; sigmas[{i}] = {sigmas[i]}", nameof(sigmas));
        if (sigmas[^2] <= 0) throw new ArgumentException("sigmas: only the final sigma may be 0", nameof(sigmas));
        Sigmas = sigmas.Select(s => (double)(float)s).ToArray();
        Timesteps = Sigmas.Take(sigmas.Count - 1).Select(s => (double)(float)SigmaToT(s)).ToArray();
        StepIndex = null;
    }

    /// <summary>The sample as the model should see it at <paramref name="timestep"/>: x / sqrt(sigma^2 + 1).</summary>
    public Tensor ScaleModelInput(Tensor sample, double timestep)
    {
        StepIndex ??= IndexOf(timestep);
        var sigma = Sigmas[StepIndex.Value];
        using var scale = (1 / Math.Sqrt(sigma * sigma + 1)).ToScalar();
        return sample.mul(scale);
    }

    /// <summary>The sample at the next (lower) noise level; advances <see cref="StepIndex"/>.</summary>
    public Tensor Step(Tensor modelOutput, double timestep, Tensor sample)
    {
        StepIndex ??= IndexOf(timestep);
        var i = StepIndex.Value;
        if (i >= Sigmas.Count - 1) throw new InvalidOperationException($"the schedule's {Sigmas.Count - 1} steps are all taken");
        double sigma = Sigmas[i], next = Sigmas[i + 1];
        using var scope = NewDisposeScope();
        var x0 = PredictedOriginal(modelOutput, timestep, sample);
        using var dt = ((next - sigma) / sigma).ToScalar();
        var previous = sample.add(sample.sub(x0).mul_(dt));
        StepIndex = i + 1;
        return scope.MoveToOuter(previous);
    }

    /// <summary>diffusers' pred_original_sample at the current step (before <see cref="Step"/> advances it): the clean
    /// sample the model's output implies at this sigma.</summary>
    public Tensor PredictedOriginal(Tensor modelOutput, double timestep, Tensor sample)
    {
        if (!modelOutput.shape.SequenceEqual(sample.shape))
            throw new ArgumentException($"model output [{string.Join(",", modelOutput.shape)}] and sample [{string.Join(",", sample.shape)}] differ in shape");
        StepIndex ??= IndexOf(timestep);
        var sigma = Sigmas[StepIndex.Value];
        if (Config.PredictionType == "epsilon")
        {
            using var minus = (-sigma).ToScalar();
            return sample.add(modelOutput.mul(minus));
        }
        using var cOut = (-sigma / Math.Sqrt(sigma * sigma + 1)).ToScalar();
        using var cSkip = (1 / (sigma * sigma + 1)).ToScalar();
        return modelOutput.mul(cOut).add_(sample.mul(cSkip));
    }

    /// <summary>sigma at a (fractional) timestep, linear between training steps (numpy's interp).</summary>
    double Interpolate(double t)
    {
        var low = (int)Math.Floor(t);
        if (low >= SigmaTable.Count - 1) return SigmaTable[^1];
        var w = t - low;
        return SigmaTable[low] + w * (SigmaTable[low + 1] - SigmaTable[low]);
    }

    /// <summary>The timestep of a sigma: linear in log sigma between the training steps around it, clamped to the
    /// table (diffusers' _sigma_to_t, k-diffusion's sigma_to_t).</summary>
    double SigmaToT(double sigma)
    {
        var log = Math.Log(Math.Max(sigma, 1e-10));
        var low = 0;
        for (var i = 0; i < _logSigmas.Length; i++) if (_logSigmas[i] <= log) low = i;
        low = Math.Min(low, _logSigmas.Length - 2);
        var w = Math.Clamp((_logSigmas[low] - log) / (_logSigmas[low] - _logSigmas[low + 1]), 0, 1);
        return (1 - w) * low + w * (low + 1);
    }

    double FinalSigma() => Config.FinalSigmasType == "zero" ? 0 : SigmaTable[0];

    /// <summary>Where a timestep is in the schedule; the second match when it repeats (diffusers' rule, so that a
    /// schedule started midway for image-to-image does not skip a step).</summary>
    int IndexOf(double timestep)
    {
        RequireSet();
        var matches = Enumerable.Range(0, Timesteps.Count).Where(i => Timesteps[i] == (float)timestep).ToList();
        if (matches.Count == 0) throw new ArgumentException($"timestep {timestep} is not in the schedule", nameof(timestep));
        return matches.Count > 1 ? matches[1] : matches[0];
    }

    IReadOnlyList<double> RequireSet() => Sigmas.Count > 0 ? Sigmas
        : throw new InvalidOperationException("call SetTimesteps or SetSigmas before using the Euler scheduler");
}
