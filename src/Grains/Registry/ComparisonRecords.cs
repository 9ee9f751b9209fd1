namespace MMInterp.Grains.Registry;

/// <summary>
/// One run as the compare list shows it: its record's columns, the settings read from its config (a sweep's from its
/// base spec) and the last logged value of its headline metrics. Null where the config or the series lacks it.
/// </summary>
public sealed record RunRow(
    string Id, RunKind Kind, RunStatus Status, string? Error, string? ParentRunId, string? ExperimentId,
    string? ActivationSetId, string? ModelId, string? Hook, int? Layer, string? Architecture,
    double? DSae, double? K, double? SparsityCoefficient, double? Lr, double? Steps, double? BatchSize, double? Seed,
    long Step, double Progress, double? Loss, double? L0, double? Fvu, double? DeadFraction, string? DictionaryId,
    DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

/// <summary>One dictionary as the compare list shows it: lineage, size and settings (from its config and the run that
/// trained it), its stored evaluation metrics, and how many feature and label rows it has.</summary>
public sealed record DictionaryRow(
    string Id, string ModelId, string HookPoint, int? Layer, string? ActivationSetId, string? TrainingRunId, SaeArchitecture Architecture,
    int DIn, int DSae, double? K, double? SparsityCoefficient, double? Steps,
    double? L0, double? Fvu, double? DeadFraction, double? Mse, long FeatureRows, long LabelRows, DateTimeOffset CreatedAt);

/// <summary>How a compare list is sorted and filtered. Keys come from the request and are checked against the
/// list's columns by <see cref="ComparisonRepository"/>; null filters match everything.</summary>
public sealed record CompareQuery(
    string? Sort = null, bool Descending = true,
    RunKind? Kind = null, RunStatus? Status = null, string? ModelId = null, string? ActivationSetId = null, string? Hook = null,
    string? Architecture = null, string? ParentRunId = null, double? MaxFvu = null, double? MaxL0 = null, int Limit = 200,
    IReadOnlyList<string>? Ids = null);

/// <summary>A registry row named by an id: its kind ("model", "activation set", "dictionary", "run", "experiment").</summary>
public sealed record RegistryRef(string Kind, string Id);
