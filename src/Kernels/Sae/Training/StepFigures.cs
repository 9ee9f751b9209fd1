namespace MMInterp.Kernels.Sae.Training;

/// <summary>
/// One member's figures at one step: that batch's loss, FVU and L0 (not a log interval's mean). For live progress
/// only; the recorded metrics are still the interval means logged every LogEvery steps.
/// </summary>
public sealed record StepFigures(string Member, long Step, long TotalSteps, double Loss, double Fvu, double L0);
