using System.Collections.Concurrent;
using MMInterp.Grains.Contracts;
using MMInterp.Grains.Models;
using MMInterp.Grains.Registry;
using MMInterp.Kernels.Checkpoints;
using MMInterp.Kernels.Extraction;

namespace MMInterp.Silo.Work;

/// <summary>
/// Registered models loaded once per silo, of any family (CLIP, VLM, diffusion), behind the one extraction interface.
/// Forward passes on one model are serialised by its gate.
/// </summary>
public sealed class ModelCache(RegistryStore registry, ArtefactCache artefacts) : IModelHost
{
    readonly ConcurrentDictionary<string, Lazy<Task<LoadedModel>>> _models = new();

    public sealed record LoadedModel(string Id, IActivationModel Model, SemaphoreSlim Gate);

    public Task<LoadedModel> GetAsync(string modelId, CancellationToken ct) =>
        _models.GetOrAdd(modelId, id => new Lazy<Task<LoadedModel>>(() => LoadAsync(id, ct))).Value;

    public async Task<ModelInfo> DescribeAsync(string modelId, string silo, CancellationToken ct)
    {
        var loaded = await GetAsync(modelId, ct);
        return new ModelInfo(modelId, loaded.Model.Family, loaded.Model.HookNames, loaded.Model.ParameterCount, silo);
    }

    /// <summary>User images are preprocessed as the checkpoint's preprocessor_config.json says (zoo ones have none).</summary>
    static ClipActivationModel ClipWithPreprocessor(Kernels.Models.Clip.ClipModel model, string dir) =>
        new(model, Kernels.Images.ClipImageProcessor.ForCheckpoint(dir, model.Config.Vision.ImageSize));

    async Task<LoadedModel> LoadAsync(string modelId, CancellationToken ct)
    {
        try
        {
            var record = await registry.Models.GetAsync(modelId, ct)
                         ?? throw new ArgumentException($"model '{modelId}' is not registered");
            if (record.CheckpointSha256 is null) throw new ArgumentException($"model '{modelId}' has no checkpoint");
            var dir = await artefacts.DirectoryAsync(record.CheckpointSha256, ct);
            IActivationModel model = record.Family switch
            {
                ModelFamily.Clip => ClipWithPreprocessor(ClipCheckpoint.Load(dir).Model, dir),
                ModelFamily.Vlm => new VlmActivationModel(VlmCheckpoint.Load(dir).Model),
                ModelFamily.Diffusion => new DiffusionActivationModel(DiffusionCheckpoint.Load(dir)),
                _ => throw new ArgumentException($"model '{modelId}' is a {RegistryNames.Name(record.Family)} model; extraction serves clip, vlm and diffusion models"),
            };
            return new LoadedModel(modelId, model, new SemaphoreSlim(1, 1));
        }
        catch
        {
            _models.TryRemove(modelId, out _); // let the next call retry
            throw;
        }
    }
}
