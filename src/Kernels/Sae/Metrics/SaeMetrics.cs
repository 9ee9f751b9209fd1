namespace MMInterp.Kernels.Sae.Metrics;

/// <summary>
/// Metrics over one log interval (or the final interval). Mse is the mean over rows of ||x - x_hat||^2 in the
/// SAE's normalised space; Fvu = sum ||x - x_hat||^2 / sum ||x - mean_batch(x)||^2; L0 = mean active latents per row;
/// dead = share of features that never fired in the interval; dense = share firing on more than the dense threshold.
/// Downstream is the caller's hook value (null when no hook was given).
/// </summary>
public sealed record SaeMetrics(long Step, double Loss, double Mse, double Sparsity, double Aux, double Fvu, double L0,
    double DeadFraction, double DenseFraction, double LearningRate, double SparsityCoefficient, double? Downstream);
