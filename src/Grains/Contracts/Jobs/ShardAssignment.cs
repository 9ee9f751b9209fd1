namespace MMInterp.Grains.Contracts.Jobs;

/// <summary>One shard of one job, as sent to an accelerator silo.</summary>
[GenerateSerializer, Immutable]
public sealed record ShardAssignment(
    [property: Id(0)] string JobId,
    [property: Id(1)] int Index,
    [property: Id(2)] int Attempt,
    [property: Id(3)] ExtractionJobSpec Spec,
    [property: Id(4)] int Start,
    [property: Id(5)] int Count);
