namespace MMInterp.Kernels.Sae.Training;

/// <summary>Raised when a loss or gradient becomes NaN/inf. Weights were not updated with it; the last checkpoint
/// written before it (if any) is intact.</summary>
public sealed class NonFiniteTrainingException(string member, long step, string what, string? lastCheckpoint)
    : Exception($"SAE '{member}': {what} is not finite at step {step}; training stopped. " +
                (lastCheckpoint is null ? "No checkpoint had been written yet." : $"Last good checkpoint: {lastCheckpoint}"))
{
    public string Member { get; } = member;
    public long Step { get; } = step;
    public string? LastCheckpoint { get; } = lastCheckpoint;
}
