namespace MMInterp.Grains.Contracts.Jobs;

/// <summary>Extract activations of a model at some hook points over a dataset, in shards.</summary>
[GenerateSerializer, Immutable]
public sealed record ExtractionJobSpec(
    [property: Id(0)] string ModelId,
    [property: Id(1)] IReadOnlyList<string> Hooks,
    [property: Id(2)] DatasetSpec Dataset,
    [property: Id(3)] int Shards,
    [property: Id(4)] int MaxAttemptsPerShard = 3)
{
    public ExtractionJobSpec Validated()
    {
        if (string.IsNullOrWhiteSpace(ModelId)) throw new ArgumentException("extraction: model id is empty");
        if (Hooks.Count == 0 || Hooks.Any(string.IsNullOrWhiteSpace)) throw new ArgumentException("extraction: at least one hook point is required, none may be empty");
        if (Hooks.Distinct().Count() != Hooks.Count) throw new ArgumentException("extraction: hook points repeat");
        if (Shards < 1) throw new ArgumentException($"extraction: shards must be at least 1, got {Shards}");
        if (Shards > Dataset.Count) throw new ArgumentException($"extraction: {Shards} shards for {Dataset.Count} examples leaves empty shards");
        if (MaxAttemptsPerShard < 1) throw new ArgumentException($"extraction: max attempts per shard must be at least 1, got {MaxAttemptsPerShard}");
        return this;
    }

    /// <summary>Example range [Start, Start+Count) of shard <paramref name="index"/>: contiguous, sizes differ by at most one.</summary>
    public (int Start, int Count) ShardRange(int index)
    {
        int baseSize = Dataset.Count / Shards, extra = Dataset.Count % Shards;
        var start = index * baseSize + Math.Min(index, extra);
        return (start, baseSize + (index < extra ? 1 : 0));
    }
}

/// <summary>One shard of one job, as sent to an accelerator silo.</summary>
[GenerateSerializer, Immutable]
public sealed record ShardAssignment(
    [property: Id(0)] string JobId,
    [property: Id(1)] int Index,
    [property: Id(2)] int Attempt,
    [property: Id(3)] ExtractionJobSpec Spec,
    [property: Id(4)] int Start,
    [property: Id(5)] int Count);

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
