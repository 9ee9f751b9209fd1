using MMInterp.Grains.Contracts.Experiments;
using MMInterp.Grains.Registry;
using MMInterp.Kernels.Checkpoints;
using MMInterp.Kernels.Sae;
using MMInterp.Kernels.Zoo;

namespace MMInterp.Silo.Work.Analysis;

/// <summary>
/// Loads what an analysis names from the registry and the artefact store. Every analysis gets its own copy of the
/// model: analyses set hooks for minutes, which must not leak into extraction on the shared <see cref="ModelCache"/>.
/// </summary>
public sealed class AnalysisInputs(RegistryStore registry, ArtefactCache artefacts, ModelDirectories models)
{
    public async Task<LoadedClip> ClipAsync(string modelId, CancellationToken ct)
    {
        var loaded = ClipCheckpoint.Load(await CheckpointAsync(modelId, ModelFamily.Clip, ct));
        if (loaded.Tokenizer is null) throw new ArgumentException($"model '{modelId}' was registered without tokenizer files");
        loaded.Model.eval();
        return loaded;
    }

    /// <summary>The CLIP and its restored checkpoint directory (where its preprocessor_config.json is, if it has one).</summary>
    public async Task<(LoadedClip Clip, string Directory)> ClipWithDirectoryAsync(string modelId, CancellationToken ct)
    {
        var directory = await CheckpointAsync(modelId, ModelFamily.Clip, ct);
        var loaded = ClipCheckpoint.Load(directory);
        if (loaded.Tokenizer is null) throw new ArgumentException($"model '{modelId}' was registered without tokenizer files");
        loaded.Model.eval();
        return (loaded, directory);
    }

    public async Task<LoadedVlm> VlmAsync(string modelId, CancellationToken ct) =>
        VlmCheckpoint.Load(await CheckpointAsync(modelId, ModelFamily.Vlm, ct));

    public async Task<DiffusionBundle> DiffusionAsync(string modelId, CancellationToken ct) =>
        DiffusionCheckpoint.Load(await CheckpointAsync(modelId, ModelFamily.Diffusion, ct));

    /// <summary>The restored checkpoint directory of a registered model of <paramref name="family"/>.</summary>
    Task<string> CheckpointAsync(string modelId, ModelFamily family, CancellationToken ct) =>
        models.DirectoryAsync(modelId, family, ct, $"this analysis needs a {RegistryNames.Name(family)} model");

    /// <summary>The dictionary's SAE, checked against the spec: same model, same hook.</summary>
    public async Task<(DictionaryRecord Record, SparseAutoencoder Sae)> DictionaryAsync(AnalysisSpec spec, CancellationToken ct)
    {
        var id = spec.DictionaryId ?? throw new ArgumentException($"analysis {spec.Kind} needs a dictionary (SAE)");
        var record = await DictionaryRecordAsync(id, spec.ModelId, ct);
        if (spec.HookPoint is { } hook && hook != record.HookPoint)
            throw new ArgumentException($"dictionary '{id}' reads hook '{record.HookPoint}', not '{hook}'");
        return (record, await SaeAsync(record, ct));
    }

    /// <summary>A registered dictionary trained on <paramref name="modelId"/>, or an ArgumentException naming the mismatch.</summary>
    public async Task<DictionaryRecord> DictionaryRecordAsync(string id, string modelId, CancellationToken ct)
    {
        var record = await registry.Dictionaries.GetAsync(id, ct) ?? throw new ArgumentException($"dictionary '{id}' is not registered");
        if (record.ModelId != modelId)
            throw new ArgumentException($"dictionary '{id}' was trained on model '{record.ModelId}', not '{modelId}'");
        return record;
    }

    /// <summary>The dictionary's SAE from its verified checkpoint in the store.</summary>
    public async Task<SparseAutoencoder> SaeAsync(DictionaryRecord record, CancellationToken ct) =>
        SaeCheckpoint.LoadSae(await artefacts.Store.GetVerifiedPathAsync(record.CheckpointSha256, ct));
}
