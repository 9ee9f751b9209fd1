using MMInterp.Grains.Contracts;

namespace MMInterp.Grains.Registry;

/// <summary>An experiment (labeling, steering, patching, a diffusion study, ...) that groups runs and results.</summary>
/// <param name="Kind">A short lowercase word such as 'steering' or 'causal-tracing'.</param>
[GenerateSerializer, Immutable]
public sealed record NewExperiment(
    string Name,
    string Kind,
    string Description = "",
    string ConfigJson = RegistryJson.EmptyObject,
    string? Id = null,
    string ProjectId = RegistryIds.DefaultProject)
{
    public NewExperiment Validated()
    {
        if (string.IsNullOrWhiteSpace(Name)) throw new ArgumentException("experiment name is empty");
        if (string.IsNullOrEmpty(Kind) || Kind.Length > 64 || !char.IsAsciiLetterLower(Kind[0])
            || !Kind.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '_' or '-'))
            throw new ArgumentException($"experiment kind must be a lowercase word ([a-z0-9_-], up to 64 chars), got '{Kind}'");
        ArgumentNullException.ThrowIfNull(Description);
        RegistryJson.ValidateObject(ConfigJson, "experiment config");
        RegistryIds.ValidateOptional(Id, "experiment id");
        RegistryIds.Validate(ProjectId, "project id");
        return this;
    }
}

/// <summary>An experiment as recorded; <paramref name="Status"/> and <paramref name="Error"/> are its analysis' (how it ended, and why when it failed).</summary>
[GenerateSerializer, Immutable]
public sealed record ExperimentRecord(
    string Id,
    string ProjectId,
    string Name,
    string Kind,
    string Description,
    string ConfigJson,
    string ResultsJson,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    RunStatus Status = RunStatus.Pending,
    string? Error = null)
{
    /// <summary>Finished, whether it succeeded, failed or was cancelled.</summary>
    public bool IsTerminal => RegistryNames.IsTerminal(Status);
}
