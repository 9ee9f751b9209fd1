namespace MMInterp.Grains.Contracts.Experiments;

/// <summary>
/// What an analysis produced, ready to record: the experiment's results object (figures, tables and sha256 references
/// to images already in the artefact store), per-feature statistics and labels for the analysed dictionary.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record AnalysisOutcome(
    [property: Id(0)] string ResultsJson,
    [property: Id(1)] IReadOnlyList<FeatureStats> Features,
    [property: Id(2)] IReadOnlyList<NewLabel> Labels)
{
    public static AnalysisOutcome ResultsOnly(string resultsJson) => new(resultsJson, [], []);
}
