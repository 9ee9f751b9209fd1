namespace MMInterp.Kernels.Models.StableDiffusion;

/// <summary>
/// The fields of a diffusers scheduler/scheduler_config.json that <see cref="DdimScheduler"/> and
/// <see cref="EulerDiscreteScheduler"/> implement, under diffusers' names in errors. Defaults are diffusers' for the
/// class (<see cref="Defaults"/>); Stable Diffusion v1 ships scaled_linear 0.00085..0.012, steps_offset 1, 'leading'
/// spacing, set_alpha_to_one false, clip_sample false.
/// </summary>
public sealed record SchedulerConfig
{
    public const string Ddim = "DDIMScheduler", Euler = "EulerDiscreteScheduler";
    public static readonly string[] Classes = [Ddim, Euler];
    public static readonly string[] BetaSchedules = ["linear", "scaled_linear"];
    public static readonly string[] Spacings = ["leading", "trailing", "linspace"];
    public static readonly string[] PredictionTypes = ["epsilon", "v_prediction"];
    public static readonly string[] FinalSigmas = ["zero", "sigma_min"];

    /// <summary>diffusers' _class_name.</summary>
    public string ClassName { get; init; } = Ddim;
    public int NumTrainTimesteps { get; init; } = 1000;
    public double BetaStart { get; init; } = 0.0001;
    public double BetaEnd { get; init; } = 0.02;
    /// <summary>"linear": betas evenly spaced; "scaled_linear": their square roots evenly spaced (CompVis's "linear").</summary>
    public string BetaSchedule { get; init; } = "linear";
    /// <summary>Added to 'leading' timesteps (1 in Stable Diffusion: CompVis's DDIM steps are 1, 21, ...).</summary>
    public int StepsOffset { get; init; }
    public string TimestepSpacing { get; init; } = "leading";
    public string PredictionType { get; init; } = "epsilon";
    /// <summary>DDIM: the last step goes to alpha 1 (true) or to alphas_cumprod[0] (false, CompVis's choice).</summary>
    public bool SetAlphaToOne { get; init; } = true;
    /// <summary>DDIM: clamp the predicted clean sample to +-clip_sample_range (diffusers' default true; SD sets false).</summary>
    public bool ClipSample { get; init; } = true;
    public double ClipSampleRange { get; init; } = 1.0;
    /// <summary>Euler: the sigma after the last step, "zero" (k-diffusion's append_zero) or "sigma_min" (the smallest
    /// training sigma).</summary>
    public string FinalSigmasType { get; init; } = "zero";

    /// <summary>diffusers' defaults for a scheduler class (DDIM spaces 'leading'; Euler 'linspace', no clipping).</summary>
    public static SchedulerConfig Defaults(string className) => className switch
    {
        Ddim => new SchedulerConfig(),
        Euler => new SchedulerConfig { ClassName = Euler, TimestepSpacing = "linspace", ClipSample = false },
        _ => throw new ArgumentException($"_class_name '{className}' is not a supported scheduler (expected {string.Join(" or ", Classes)})", nameof(ClassName)),
    };

    /// <summary>Throws an ArgumentException naming the first bad field.</summary>
    public SchedulerConfig Validate()
    {
        if (!Classes.Contains(ClassName)) throw new ArgumentException($"_class_name '{ClassName}' is not a supported scheduler (expected {string.Join(" or ", Classes)})", nameof(ClassName));
        if (NumTrainTimesteps is < 2 or > 100_000) throw new ArgumentException($"num_train_timesteps must be in 2..100000, got {NumTrainTimesteps}", nameof(NumTrainTimesteps));
        if (!(BetaStart > 0 && BetaStart < 1)) throw new ArgumentException($"beta_start must be in (0, 1), got {BetaStart}", nameof(BetaStart));
        if (!(BetaEnd > 0 && BetaEnd < 1)) throw new ArgumentException($"beta_end must be in (0, 1), got {BetaEnd}", nameof(BetaEnd));
        if (!BetaSchedules.Contains(BetaSchedule)) throw new ArgumentException($"beta_schedule '{BetaSchedule}' is not supported (expected {string.Join(", ", BetaSchedules)})", nameof(BetaSchedule));
        if (StepsOffset < 0 || StepsOffset >= NumTrainTimesteps) throw new ArgumentException($"steps_offset must be in 0..{NumTrainTimesteps - 1}, got {StepsOffset}", nameof(StepsOffset));
        if (!Spacings.Contains(TimestepSpacing)) throw new ArgumentException($"timestep_spacing '{TimestepSpacing}' is not supported (expected {string.Join(", ", Spacings)})", nameof(TimestepSpacing));
        if (!PredictionTypes.Contains(PredictionType)) throw new ArgumentException($"prediction_type '{PredictionType}' is not supported (expected {string.Join(" or ", PredictionTypes)})", nameof(PredictionType));
        if (!(ClipSampleRange > 0) || !double.IsFinite(ClipSampleRange)) throw new ArgumentException($"clip_sample_range must be a positive finite number, got {ClipSampleRange}", nameof(ClipSampleRange));
        if (!FinalSigmas.Contains(FinalSigmasType)) throw new ArgumentException($"final_sigmas_type '{FinalSigmasType}' is not supported (expected {string.Join(" or ", FinalSigmas)})", nameof(FinalSigmasType));
        return this;
    }

    /// <summary>Requires the config to be of one class (a DDIM config handed to the Euler scheduler is refused).</summary>
    internal SchedulerConfig Require(string className)
    {
        Validate();
        return ClassName == className ? this : throw new ArgumentException($"_class_name is '{ClassName}', not {className}", nameof(ClassName));
    }
}
