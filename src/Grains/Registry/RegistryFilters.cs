namespace MMInterp.Grains.Registry;

/// <summary>
/// Which runs to list (newest first): every filter optional, combined with AND. <see cref="ModelId"/> keeps runs tied
/// to that model by lineage (the dictionary a training run made, the activation set an extraction made or a training
/// read, the model a training built) or naming it in their config. <see cref="Since"/> is inclusive, <see cref="Until"/>
/// exclusive, both on the creation time.
/// </summary>
public sealed record RunFilter(
    RunKind? Kind = null, RunStatus? Status = null, string? ModelId = null, DateTimeOffset? Since = null, DateTimeOffset? Until = null,
    string? ParentRunId = null, int Limit = 100)
{
    public RunFilter Validated()
    {
        if (Kind is { } k && !Enum.IsDefined(k)) throw new ArgumentException($"unknown run kind {(int)k}");
        if (Status is { } s && !Enum.IsDefined(s)) throw new ArgumentException($"unknown run status {(int)s}");
        RegistryFilters.Check(ModelId, Since, Until);
        RegistryLimits.Check(Limit);
        return this;
    }
}

/// <summary>
/// Which experiments to list (newest first). <see cref="ModelId"/> keeps experiments whose config names the model or
/// a dictionary of it; <see cref="Text"/> matches the name or the description (case-insensitive substring).
/// </summary>
public sealed record ExperimentFilter(
    string? Kind = null, string? ModelId = null, DateTimeOffset? Since = null, DateTimeOffset? Until = null, string? Text = null, int Limit = 100,
    RunStatus? Status = null)
{
    public ExperimentFilter Validated()
    {
        if (Kind is not null && !System.Text.RegularExpressions.Regex.IsMatch(Kind, "^[a-z][a-z0-9_-]{0,63}$"))
            throw new ArgumentException($"experiment kind must be lower-case letters, digits, '_' or '-', got '{Kind}'");
        if (Text is { Length: > 200 }) throw new ArgumentException($"search text must be at most 200 characters, got {Text.Length}");
        RegistryFilters.Check(ModelId, Since, Until);
        RegistryLimits.Check(Limit);
        return this;
    }
}

static class RegistryFilters
{
    public static void Check(string? modelId, DateTimeOffset? since, DateTimeOffset? until)
    {
        if (modelId is not null) Contracts.RegistryIds.Validate(modelId, "model id");
        if (since >= until) throw new ArgumentException($"since ({since:u}) must be before until ({until:u})");
    }
}
