namespace MMInterp.Grains.Contracts.Jobs;

/// <summary>What `mminterp status` shows for one job, run or sweep. <paramref name="Skipped"/>: items of a user dataset an
/// extraction could not read or decode (named in its shard outputs and its activation set's dataset record).</summary>
[GenerateSerializer, Immutable]
public sealed record JobProgress(
    [property: Id(0)] string Id,
    [property: Id(1)] string Kind,
    [property: Id(2)] JobPhase Phase,
    [property: Id(3)] int Done,
    [property: Id(4)] int Total,
    [property: Id(5)] string? Error,
    [property: Id(6)] DateTimeOffset UpdatedAt,
    [property: Id(7)] string? Result = null,
    [property: Id(8)] int Skipped = 0)
{
    public bool Finished => Phase is JobPhase.Succeeded or JobPhase.Failed or JobPhase.Cancelled;
    public double Fraction => Total == 0 ? 0 : (double)Done / Total;
}
