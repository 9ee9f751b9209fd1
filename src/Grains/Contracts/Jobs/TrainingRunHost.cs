namespace MMInterp.Grains.Contracts.Jobs;

/// <summary>
/// The silo whose activation last launched the run, how many launches there were (1 for a run that never crashed)
/// and the checkpoint step the last launch resumed from (0: it started fresh).
/// </summary>
[GenerateSerializer, Immutable]
public sealed record TrainingRunHost(
    [property: Id(0)] string? Silo,
    [property: Id(1)] int Starts,
    [property: Id(2)] long ResumedFromStep);
