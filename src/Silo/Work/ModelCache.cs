using System.Collections.Concurrent;
using MMInterp.Grains.Contracts;
using MMInterp.Grains.Jobs;
using MMInterp.Grains.Registry;
using MMInterp.Kernels.Checkpoints;
using MMInterp.Kernels.Models.Clip;

namespace MMInterp.Silo.Work;

/// <summary>Registered models loaded once per silo. Forward passes on one model are serialised by its gate.</summary>
public sealed class ModelCache(RegistryStore registry, ArtefactCache artefacts) : IModelHost
{
    readonly ConcurrentDictionary<string, Lazy<Task<LoadedModel>>> _models = new();

    public sealed record LoadedModel(string Id, ClipModel Clip, SemaphoreSlim Gate);

    public Task<LoadedModel> GetAsync(string modelId, CancellationToken ct) =>
        _models.GetOrAdd(modelId, id => new Lazy<Task<LoadedModel>>(() => LoadAsync(id, ct))).Value;

    public async Task<ModelInfo> DescribeAsync(string modelId, string silo, CancellationToken ct)
    {
        var model = await GetAsync(modelId, ct);
        var parameters = model.Clip.parameters().Sum(p => p.numel());
        return new ModelInfo(modelId, "clip", model.Clip.Hooks.Names.Order(StringComparer.Ordinal).ToList(), parameters, silo);
    }

    async Task<LoadedModel> LoadAsync(string modelId, CancellationToken ct)
    {
        try
        {
            var record = await registry.Models.GetAsync(modelId, ct)
                         ?? throw new ArgumentException($"model '{modelId}' is not registered");
            if (record.Family != ModelFamily.Clip)
                throw new ArgumentException($"model '{modelId}' is a {record.Family} model; extraction serves CLIP models so far");
            if (record.CheckpointSha256 is null) throw new ArgumentException($"model '{modelId}' has no checkpoint");
            var dir = await artefacts.DirectoryAsync(record.CheckpointSha256, ct);
            var loaded = ClipCheckpoint.Load(dir);
            return new LoadedModel(modelId, loaded.Model, new SemaphoreSlim(1, 1));
        }
        catch
        {
            _models.TryRemove(modelId, out _); // let the next call retry
            throw;
        }
    }
}
