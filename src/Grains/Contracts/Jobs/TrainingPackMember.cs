namespace MMInterp.Grains.Contracts.Jobs;

/// <summary>A run of a pack: its id and its spec (which names the pack).</summary>
[GenerateSerializer, Immutable]
public sealed record TrainingPackMember([property: Id(0)] string RunId, [property: Id(1)] TrainingRunSpec Spec);
