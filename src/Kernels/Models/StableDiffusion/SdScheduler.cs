using static TorchSharp.torch;

namespace MMInterp.Kernels.Models.StableDiffusion;

/// <summary>One sampling run's scheduler, DDIM or Euler, behind the calls a pipeline's loop makes: timesteps,
/// init_noise_sigma, scale_model_input, step, and the step's pred_original_sample. A fresh one per run (Euler tracks its step index).</summary>
public sealed class SdScheduler
{
    readonly DdimScheduler? _ddim;
    readonly EulerDiscreteScheduler? _euler;

    public SdScheduler(SchedulerConfig config, int steps)
    {
        if (steps is < 1 or > 10_000) throw new ArgumentException($"steps must be in 1..10000, got {steps}", nameof(steps));
        Config = config.Validate();
        if (config.ClassName == SchedulerConfig.Ddim)
        {
            _ddim = new DdimScheduler(config);
            _ddim.SetTimesteps(steps);
            Timesteps = _ddim.Timesteps.Select(t => (double)t).ToArray();
        }
        else
        {
            _euler = new EulerDiscreteScheduler(config);
            _euler.SetTimesteps(steps);
            Timesteps = _euler.Timesteps;
        }
    }

    public SchedulerConfig Config { get; }
    public IReadOnlyList<double> Timesteps { get; }
    public double InitNoiseSigma => _ddim?.InitNoiseSigma ?? _euler!.InitNoiseSigma;

    public Tensor ScaleModelInput(Tensor sample, double t) => _ddim is not null ? sample : _euler!.ScaleModelInput(sample, t);

    public Tensor Step(Tensor modelOutput, double t, Tensor sample) =>
        _ddim?.Step(modelOutput, (long)t, sample) ?? _euler!.Step(modelOutput, t, sample);

    /// <summary>The clean latents the model's output implies at t (pred_original_sample); call before <see cref="Step"/>.</summary>
    public Tensor PredictedOriginal(Tensor modelOutput, double t, Tensor sample) =>
        _ddim?.PredictedOriginal(modelOutput, (long)t, sample) ?? _euler!.PredictedOriginal(modelOutput, t, sample);
}
