namespace MMInterp.Kernels.Models.StableDiffusion;

/// <summary>
/// The inference timesteps diffusers' timestep_spacing gives for n steps out of N training steps, highest first:
/// 'leading' i * (N / n) + steps_offset (integer division; CompVis's uniform DDIM schedule with offset 1),
/// 'trailing' round(N - i * N / n) - 1, 'linspace' i * (N - 1) / (n - 1) (rounded for DDIM, kept fractional for
/// Euler). Rounding is numpy's (half to even).
/// </summary>
public static class SchedulerTimesteps
{
    public static double[] Spaced(SchedulerConfig c, int n, bool integral)
    {
        var total = c.NumTrainTimesteps;
        if (n < 1 || n > total)
            throw new ArgumentException($"num_inference_steps must be in 1..num_train_timesteps ({total}), got {n}", nameof(n));
        var steps = new double[n];
        switch (c.TimestepSpacing)
        {
            case "leading":
                var ratio = total / n;
                for (var i = 0; i < n; i++) steps[n - 1 - i] = (double)i * ratio + c.StepsOffset;
                break;
            case "trailing":
                var fraction = (double)total / n;
                for (var i = 0; i < n; i++) steps[i] = Math.Round(total - i * fraction, MidpointRounding.ToEven) - 1;
                break;
            case "linspace":
                for (var i = 0; i < n; i++)
                {
                    // numpy's linspace: start + i * step, the last exactly the stop.
                    var v = n == 1 ? 0 : i == n - 1 ? total - 1 : i * ((total - 1) / (double)(n - 1));
                    steps[n - 1 - i] = integral ? Math.Round(v, MidpointRounding.ToEven) : (float)v;
                }
                break;
            default: throw new ArgumentException($"timestep_spacing '{c.TimestepSpacing}' is not supported", nameof(c.TimestepSpacing));
        }
        return steps;
    }
}
