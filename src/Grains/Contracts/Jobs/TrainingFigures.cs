namespace MMInterp.Grains.Contracts.Jobs;

/// <summary>
/// Where a training stands between checkpoints: the step it has done of its steps and that step's batch loss, FVU and
/// L0. Held in grain memory only (never written to storage or the registry's metric series, which keep their LogEvery
/// interval means). For a sweep: its runs' steps summed over their steps summed, with the figures of the running
/// run whose FVU is lowest.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record TrainingFigures(
    [property: Id(0)] long Step,
    [property: Id(1)] long Steps,
    [property: Id(2)] double Loss,
    [property: Id(3)] double Fvu,
    [property: Id(4)] double L0)
{
    public double Fraction => Steps <= 0 ? 0 : Math.Clamp((double)Step / Steps, 0, 1);
}
