namespace MMInterp.Grains.Registry;

/// <summary>A model to register. <paramref name="Id"/> null: one is generated.</summary>
[GenerateSerializer, Immutable]
public sealed record NewModel(
    string Name,
    ModelFamily Family,
    string SpecJson = RegistryJson.EmptyObject,
    string? CheckpointSha256 = null,
    string? TrainingRunId = null,
    string? Id = null,
    string ProjectId = RegistryIds.DefaultProject)
{
    public NewModel Validated()
    {
        if (string.IsNullOrWhiteSpace(Name)) throw new ArgumentException("model name is empty");
        if (!Enum.IsDefined(Family)) throw new ArgumentException($"unknown model family {(int)Family}");
        RegistryJson.ValidateObject(SpecJson, "model spec");
        if (CheckpointSha256 is not null) Kernels.Artefacts.ArtefactHash.Validate(CheckpointSha256);
        RegistryIds.ValidateOptional(TrainingRunId, "training run id");
        RegistryIds.ValidateOptional(Id, "model id");
        RegistryIds.Validate(ProjectId, "project id");
        return this;
    }
}

[GenerateSerializer, Immutable]
public sealed record ModelRecord(
    string Id,
    string ProjectId,
    string Name,
    ModelFamily Family,
    string SpecJson,
    string? CheckpointSha256,
    string? TrainingRunId,
    DateTimeOffset CreatedAt);
