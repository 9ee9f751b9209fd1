namespace MMInterp.Kernels.Training;

/// <summary>The zoo trainers' learning-rate schedule: linear warmup over <c>warmup</c> steps, then cosine decay to zero
/// at <c>steps</c>.</summary>
public static class WarmupCosine
{
    public static double Rate(double baseRate, int step, int steps, int warmup) =>
        step < warmup ? baseRate * (step + 1) / warmup
            : baseRate * 0.5 * (1 + Math.Cos(Math.PI * (step - warmup) / Math.Max(1, steps - warmup)));
}
