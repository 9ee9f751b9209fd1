namespace MMInterp.Grains.Contracts.Jobs;

/// <summary>
/// What a finished shard produced: per hook, an artefact reference (sha256) and its row count; and when the shard's
/// work ran on its silo (<paramref name="WorkStarted"/>, <paramref name="WorkSeconds"/>), which tells scheduling
/// overhead apart from work in a job's wall time. <paramref name="Skipped"/> names the items of a user dataset that
/// could not be read or decoded ("key: problem"); they were left out of the rows.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record ShardOutput(
    [property: Id(0)] int Index,
    [property: Id(1)] IReadOnlyDictionary<string, string> ArtefactByHook,
    [property: Id(2)] int Rows,
    [property: Id(3)] string Silo,
    [property: Id(4)] DateTimeOffset WorkStarted = default,
    [property: Id(5)] double WorkSeconds = 0,
    [property: Id(6)] IReadOnlyList<string>? Skipped = null);
