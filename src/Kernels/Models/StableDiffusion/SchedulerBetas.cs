namespace MMInterp.Kernels.Models.StableDiffusion;

/// <summary>
/// The training noise schedule: betas by diffusers' beta_schedule and their cumulative alpha product. Computed in
/// double (diffusers works in float32, CompVis in float64 then stores float32; the three agree to ~1e-6 relative).
/// </summary>
public static class SchedulerBetas
{
    public static double[] Betas(SchedulerConfig c)
    {
        var n = c.NumTrainTimesteps;
        var betas = new double[n];
        for (var i = 0; i < n; i++)
        {
            var f = (double)i / (n - 1);
            betas[i] = c.BetaSchedule switch
            {
                "linear" => c.BetaStart + f * (c.BetaEnd - c.BetaStart),
                // CompVis calls this "linear": evenly spaced in sqrt(beta), then squared.
                "scaled_linear" => Math.Pow(Math.Sqrt(c.BetaStart) + f * (Math.Sqrt(c.BetaEnd) - Math.Sqrt(c.BetaStart)), 2),
                _ => throw new ArgumentException($"beta_schedule '{c.BetaSchedule}' is not supported", nameof(c.BetaSchedule)),
            };
        }
        return betas;
    }

    /// <summary>alphas_cumprod[t] = prod over s &lt;= t of (1 - beta_s).</summary>
    public static double[] AlphasCumprod(SchedulerConfig c)
    {
        var betas = Betas(c);
        var product = 1.0;
        for (var i = 0; i < betas.Length; i++) betas[i] = product *= 1 - betas[i];
        return betas;
    }
}
