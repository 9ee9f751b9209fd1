namespace MMInterp.Grains.Contracts.Jobs;

/// <summary>A checkpoint written by the executor: the step it holds and its artefact reference.</summary>
[GenerateSerializer, Immutable]
public sealed record RunCheckpoint(
    [property: Id(0)] long Step,
    [property: Id(1)] string Artefact,
    [property: Id(2)] IReadOnlyDictionary<string, double> Metrics);
