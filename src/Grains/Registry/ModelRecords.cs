using MMInterp.Grains.Contracts;

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

/// <summary>One registry row that refers to a model: its kind ("dictionary", "run", ...) and id.</summary>
public sealed record ModelDependent(string Kind, string Id);

/// <summary>The registry rows that refer to a model.</summary>
public sealed record ModelDependents(IReadOnlyList<ModelDependent> Items)
{
    /// <summary>E.g. "2 dictionary(ies) (d-1, d-2), 1 run(s) (run-9)": counts per kind with up to three ids each.</summary>
    public override string ToString() => Items.Count == 0 ? "nothing" : string.Join(", ", Items.GroupBy(d => d.Kind).Select(g =>
        $"{g.Count()} {g.Key}(s) ({string.Join(", ", g.Take(3).Select(d => d.Id))}{(g.Count() > 3 ? ", ..." : "")})"));
}
