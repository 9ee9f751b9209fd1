using MMInterp.Grains.Contracts;
using MMInterp.Kernels.Artefacts;

namespace MMInterp.Grains.Registry;

/// <summary>A trained sparse autoencoder to register, with its lineage (model, hook point, activation set, run).</summary>
[GenerateSerializer, Immutable]
public sealed record NewDictionary(
    string ModelId,
    string HookPoint,
    SaeArchitecture Architecture,
    int DIn,
    int DSae,
    string CheckpointSha256,
    string ConfigJson = RegistryJson.EmptyObject,
    string MetricsJson = RegistryJson.EmptyObject,
    string? ActivationSetId = null,
    string? TrainingRunId = null,
    string? Id = null,
    string ProjectId = RegistryIds.DefaultProject)
{
    public NewDictionary Validated()
    {
        RegistryIds.Validate(ModelId, "model id");
        if (string.IsNullOrWhiteSpace(HookPoint)) throw new ArgumentException("dictionary hook point is empty");
        if (!Enum.IsDefined(Architecture)) throw new ArgumentException($"unknown SAE architecture {(int)Architecture}");
        if (DIn < 1 || DSae < 1) throw new ArgumentException($"dictionary sizes must be >= 1, got d_in={DIn}, d_sae={DSae}");
        ArtefactHash.Validate(CheckpointSha256);
        RegistryJson.ValidateObject(ConfigJson, "dictionary config");
        RegistryJson.ValidateObject(MetricsJson, "dictionary metrics");
        RegistryIds.ValidateOptional(ActivationSetId, "activation set id");
        RegistryIds.ValidateOptional(TrainingRunId, "training run id");
        RegistryIds.ValidateOptional(Id, "dictionary id");
        RegistryIds.Validate(ProjectId, "project id");
        return this;
    }
}

[GenerateSerializer, Immutable]
public sealed record DictionaryRecord(
    string Id,
    string ProjectId,
    string ModelId,
    string HookPoint,
    string? ActivationSetId,
    string? TrainingRunId,
    SaeArchitecture Architecture,
    int DIn,
    int DSae,
    string ConfigJson,
    string MetricsJson,
    string CheckpointSha256,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt);
