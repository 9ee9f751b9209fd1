namespace MMInterp.Grains.Contracts.Jobs;

/// <summary>One point of a sweep: its run, its axis values, where it stands, its final L0 and FVU (NaN unless it
/// succeeded: a failed point has no results, only its <see cref="Error"/>), and whether it is on the Pareto front.</summary>
[GenerateSerializer, Immutable]
public sealed record SweepRunResult(
    [property: Id(0)] string RunId,
    [property: Id(1)] string Label,
    [property: Id(2)] JobPhase Phase,
    [property: Id(3)] double L0,
    [property: Id(4)] double Fvu,
    [property: Id(5)] bool OnFront,
    [property: Id(6)] string? Error = null)
{
    /// <summary>The point's position in the sweep (its run id ends in -r003 for point 3).</summary>
    public int Point => RunId.LastIndexOf("-r", StringComparison.Ordinal) is var at and >= 0
        && int.TryParse(RunId.AsSpan(at + 2), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) ? n : -1;

    public bool Succeeded => Phase == JobPhase.Succeeded && double.IsFinite(L0) && double.IsFinite(Fvu);

    /// <summary>"point 3 (sae.K=0) failed: K must be positive"; never an empty reason.</summary>
    public string FailureLine => Phase == JobPhase.Cancelled
        ? $"point {Point} ({Label}) was cancelled"
        : $"point {Point} ({Label}) failed: " + (string.IsNullOrWhiteSpace(Error)
            ? (Phase == JobPhase.Succeeded ? "it reported no finite L0 and FVU" : "no reason was recorded")
            : Error);
}
