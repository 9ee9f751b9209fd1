using MMInterp.Grains.Contracts.Jobs;

namespace MMInterp.Grains.Contracts.ZooBuilds;

/// <summary>
/// Where one zoo build stands, as its grain persists it: the job phase, the step reached of the recipe's steps and
/// the stage the trainer last reported ("step 300/1200 loss 1.234", "evaluating"); once built, the registered model
/// and whether it had been built before (<paramref name="Cached"/>). <paramref name="Silo"/> is where the last launch
/// ran and <paramref name="Starts"/> how many launches there were (1 for a build that never lost its silo).
/// </summary>
[GenerateSerializer, Immutable, Alias("mminterp.zoo-build-status")]
public sealed record ZooBuildStatus(
    [property: Id(0)] string Id,
    [property: Id(1)] JobPhase Phase,
    [property: Id(2)] int Step,
    [property: Id(3)] int Total,
    [property: Id(4)] string Stage,
    [property: Id(5)] string? ModelId,
    [property: Id(6)] bool Cached,
    [property: Id(7)] string? Silo,
    [property: Id(8)] int Starts,
    [property: Id(9)] string? Error)
{
    public bool Finished => Phase is JobPhase.Succeeded or JobPhase.Failed or JobPhase.Cancelled;
    public double Fraction => Total == 0 ? 0 : Math.Clamp((double)Step / Total, 0, 1);
}
