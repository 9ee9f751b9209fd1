using MMInterp.Grains.Registry;
using MMInterp.Kernels.Artefacts;

namespace MMInterp.Silo.Work;

/// <summary>Stores a model directory (HF layout) in the artefact store and registers it, idempotently by id; a model
/// trained here names its training run (<c>trainingRunId</c>: a zoo build) as its lineage.</summary>
public static class ModelRegistration
{
    public static async Task<ModelRecord> RegisterDirectoryAsync(ArtefactStore store, RegistryStore registry, string id, string name,
        ModelFamily family, string directory, string specJson, CancellationToken ct = default, string? trainingRunId = null)
    {
        var manifest = await store.PutDirectoryAsync(directory, ct);
        return await RegisterDirectoryFromManifestAsync(store, registry, id, name, family, manifest, specJson, ct, trainingRunId);
    }

    /// <summary>The same, for files already stored under <paramref name="manifest"/>.</summary>
    public static async Task<ModelRecord> RegisterDirectoryFromManifestAsync(ArtefactStore store, RegistryStore registry, string id, string name,
        ModelFamily family, ArtefactRef manifest, string specJson, CancellationToken ct = default, string? trainingRunId = null)
    {
        foreach (var entry in (await store.ReadManifestAsync(manifest.Sha256, ct)).Entries)
            await registry.Artefacts.RecordAsync(new ArtefactRef(entry.Sha256, entry.Size, new ArtefactKind(entry.Kind)), ct);
        await registry.Artefacts.RecordAsync(manifest, ct);

        if (await registry.Models.GetAsync(id, ct) is { } existing)
        {
            if (existing.CheckpointSha256 != manifest.Sha256)
                throw new InvalidOperationException($"model '{id}' is already registered with another checkpoint ({existing.CheckpointSha256?[..12]}...); register the new one under a new id");
            return existing;
        }
        return await registry.Models.RegisterAsync(new NewModel(name, family, specJson, manifest.Sha256, TrainingRunId: trainingRunId, Id: id), ct);
    }
}
