using MMInterp.Grains.Registry;
using MMInterp.Kernels.Artefacts;
using MMInterp.Kernels.Datasets;

namespace MMInterp.Silo.Work;

/// <summary>
/// Stores a user dataset's files in the artefact store and registers it, idempotently: the id derives from the
/// content hash (manifest of relative paths and file hashes), so the same files give the same id.
/// </summary>
public static class DatasetRegistration
{
    public static string IdFor(string contentSha256) => $"dataset-{contentSha256[..16]}";

    /// <summary>Whether the text names a registered dataset id rather than a SPEC.</summary>
    public static bool IsId(string text) => text.StartsWith("dataset-", StringComparison.Ordinal) && !text.Contains('/');

    public static Task<(DatasetRecord Record, bool Created)> RegisterAsync(ArtefactStore store, RegistryStore registry, string spec,
        string? name = null, IProgress<int>? progress = null, CancellationToken ct = default) =>
        RegisterAsync(store, registry, ImageDatasets.Open(spec), name, progress, ct);

    public static async Task<(DatasetRecord Record, bool Created)> RegisterAsync(ArtefactStore store, RegistryStore registry, FileImageDataset dataset,
        string? name = null, IProgress<int>? progress = null, CancellationToken ct = default)
    {
        var stored = await DatasetStorage.StoreAsync(store, dataset, progress, ct);
        // Rows reference artefacts: record every stored file, then the manifest, then the dataset.
        foreach (var e in stored.Entries.Entries)
            await registry.Artefacts.RecordAsync(new ArtefactRef(e.Sha256, e.Size, new ArtefactKind(e.Kind)), ct);
        await registry.Artefacts.RecordAsync(stored.Manifest, ct);
        return await registry.Datasets.RegisterAsync(new NewDataset(IdFor(stored.Manifest.Sha256), name ?? dataset.Name, stored.Kind,
            dataset.Spec.ToString(), stored.Manifest.Sha256, stored.Items, stored.Bytes, stored.LabelNames), ct);
    }

    /// <summary>A registered id as it is, or a SPEC registered first (a no-op when its content already is).</summary>
    public static async Task<DatasetRecord> ResolveAsync(ArtefactStore store, RegistryStore registry, string specOrId, CancellationToken ct = default)
    {
        if (IsId(specOrId))
            return await registry.Datasets.GetAsync(specOrId, ct) ?? throw new ArgumentException($"dataset '{specOrId}' is not registered (see `mminterp datasets list`)");
        if (!ImageDatasetSpec.LooksLikeSpec(specOrId) && await registry.Datasets.GetByNameAsync(specOrId, ct: ct) is { } named) return named;
        return (await RegisterAsync(store, registry, specOrId, null, null, ct)).Record;
    }
}
