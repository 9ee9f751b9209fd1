namespace MMInterp.Grains.Contracts.Jobs;

/// <summary>
/// Where one job, run, sweep or experiment stands, for the CLI's progress bars and for callers that wait on it. What
/// a job produced has a field of its own, set only by the kind that produces it.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record JobProgress(
    [property: Id(0)] string Id,
    [property: Id(1)] string Kind,
    [property: Id(2)] JobPhase Phase,
    [property: Id(3)] int Done,
    [property: Id(4)] int Total,
    [property: Id(5)] string? Error,
    [property: Id(6)] DateTimeOffset UpdatedAt)
{
    /// <summary>Extraction: the activation set it registered, once it succeeded. Keeps the wire id of the former
    /// catch-all <c>Result</c>, whose readers all read this value.</summary>
    [Id(7)] public string? ActivationSetId { get; init; }

    /// <summary>Extraction: items of a user dataset it could not read or decode (named in its shard outputs and its
    /// activation set's dataset record).</summary>
    [Id(8)] public int Skipped { get; init; }

    /// <summary>Training run: sha256 of its newest checkpoint in the artefact store.</summary>
    [Id(9)] public string? CheckpointArtefact { get; init; }

    /// <summary>Experiment, zoo build: what the work is doing now (an analysis: its stage, e.g. "steering: ..."), as its
    /// executor last reported; a sweep: how many of its runs are done.</summary>
    [Id(10)] public string? Note { get; init; }

    /// <summary>Zoo build: the model it registered, once it succeeded.</summary>
    [Id(11)] public string? ModelId { get; init; }

    /// <summary>Training run, sweep (while running): the step it stands at now and that step's loss, FVU and L0, from
    /// grain memory (updated every step; a run's <see cref="Done"/> is that step too).</summary>
    [Id(12)] public TrainingFigures? Live { get; init; }

    public bool Finished => Phase is JobPhase.Succeeded or JobPhase.Failed or JobPhase.Cancelled;
    public double Fraction => !Finished && Live is { Steps: > 0 } live ? live.Fraction : Total == 0 ? 0 : (double)Done / Total;
}
