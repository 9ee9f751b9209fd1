using MMInterp.Grains.Contracts;

namespace MMInterp.Grains.Registry;

/// <summary>A training run or job to create (status pending). <paramref name="Id"/> null: one is generated.</summary>
[GenerateSerializer, Immutable]
public sealed record NewRun(
    RunKind Kind,
    string ConfigJson = RegistryJson.EmptyObject,
    long? TotalSteps = null,
    string? ParentRunId = null,
    string? ExperimentId = null,
    string? Id = null,
    string ProjectId = RegistryIds.DefaultProject)
{
    public NewRun Validated()
    {
        if (!Enum.IsDefined(Kind)) throw new ArgumentException($"unknown run kind {(int)Kind}");
        RegistryJson.ValidateObject(ConfigJson, "run config");
        if (TotalSteps is < 0) throw new ArgumentException($"total steps must be >= 0, got {TotalSteps}");
        RegistryIds.ValidateOptional(ParentRunId, "parent run id");
        RegistryIds.ValidateOptional(ExperimentId, "experiment id");
        RegistryIds.ValidateOptional(Id, "run id");
        RegistryIds.Validate(ProjectId, "project id");
        return this;
    }
}

[GenerateSerializer, Immutable]
public sealed record RunRecord(
    string Id,
    string ProjectId,
    RunKind Kind,
    RunStatus Status,
    double Progress,
    long Step,
    long? TotalSteps,
    string ConfigJson,
    string? Error,
    string? ParentRunId,
    string? ExperimentId,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt)
{
    public bool IsTerminal => RegistryNames.IsTerminal(Status);
}
