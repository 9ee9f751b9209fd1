namespace MMInterp.Grains.Registry;

/// <summary>
/// The registry rows a team can annotate, archive and delete, by the CLI's word for them, with the table and key
/// column each lives in. The words are the kind column of registry_annotations (infra/sql/0135).
/// </summary>
public static class AnnotatedKinds
{
    public static readonly IReadOnlyDictionary<string, (string Table, string Key)> Tables = new Dictionary<string, (string, string)>
    {
        ["model"] = ("models", "id"),
        ["activation"] = ("activation_sets", "id"),
        ["dictionary"] = ("dictionaries", "id"),
        ["run"] = ("runs", "id"),
        ["experiment"] = ("experiments", "id"),
        ["artefact"] = ("artefacts", "sha256"),
    };

    public static (string Table, string Key) Of(string kind) =>
        Tables.TryGetValue(kind, out var t) ? t : throw new ArgumentException($"unknown registry kind '{kind}' (expected one of: {string.Join(", ", Tables.Keys)})");
}

/// <summary>A row's description, tags and archive time (null: not archived).</summary>
[GenerateSerializer, Immutable]
public sealed record RegistryAnnotation(
    [property: Id(0)] string Kind,
    [property: Id(1)] string Id,
    [property: Id(2)] string Description,
    [property: Id(3)] IReadOnlyList<string> Tags,
    [property: Id(4)] DateTimeOffset? ArchivedAt,
    [property: Id(5)] DateTimeOffset UpdatedAt)
{
    public static RegistryAnnotation None(string kind, string id) => new(kind, id, "", [], null, DateTimeOffset.MinValue);
}

/// <summary>Something that names a row: a foreign key to it, or its id in a run's config, an experiment's config
/// or results, or a model's spec.</summary>
[GenerateSerializer, Immutable]
public sealed record RegistryDependent([property: Id(0)] string Kind, [property: Id(1)] string Id);
