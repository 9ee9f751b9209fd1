namespace MMInterp.Kernels.Sae.Training;

/// <summary>Step-indexed schedules (pure functions of the step, so a resumed run follows the same curve).</summary>
public static class Schedules
{
    /// <summary>Learning rate at 0-based step: linear warm-up, constant, linear decay to 0 over the final steps.</summary>
    public static double LearningRate(SaeTrainingConfig c, long step, long totalSteps)
    {
        double f = 1.0;
        if (c.LrWarmupSteps > 0 && step < c.LrWarmupSteps) f = (step + 1.0) / c.LrWarmupSteps;
        long decayStart = totalSteps - c.LrDecaySteps;
        if (c.LrDecaySteps > 0 && step >= decayStart) f = Math.Min(f, (double)(totalSteps - step) / c.LrDecaySteps);
        return c.Lr * f;
    }

    public static double SparsityCoefficient(SaeTrainingConfig c, long step) =>
        c.SparsityWarmupSteps > 0 && step < c.SparsityWarmupSteps
            ? c.SparsityCoefficient * (step + 1.0) / c.SparsityWarmupSteps
            : c.SparsityCoefficient;
}
