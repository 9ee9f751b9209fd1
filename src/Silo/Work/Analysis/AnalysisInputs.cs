using MMInterp.Grains.Contracts.Experiments;
using MMInterp.Grains.Registry;
using MMInterp.Kernels.Analyses;
using MMInterp.Kernels.Artefacts;
using MMInterp.Kernels.Checkpoints;
using MMInterp.Kernels.Models.Diffusion;
using MMInterp.Kernels.Datasets;
using MMInterp.Kernels.Sae;
using MMInterp.Kernels.Zoo;

namespace MMInterp.Silo.Work.Analysis;

/// <summary>
/// What one experiment's analysis may load, from the registry and the artefact store. Every analysis gets its own copy
/// of the model: analyses set hooks for minutes, which must not leak into extraction on the shared <see cref="ModelCache"/>.
/// </summary>
public sealed class AnalysisInputs(RegistryStore registry, ArtefactCache artefacts, ModelDirectories models, DatasetSource datasets, AnalysisSpec spec,
    string workDirectory, TorchSharp.torch.Device? device = null)
    : IAnalysisInputs
{
    public string ModelId => spec.ModelId;
    public string? DictionaryId => spec.DictionaryId;
    public string? HookPoint => spec.HookPoint;
    public string OptionsJson => spec.OptionsJson;
    public string WorkDirectory => workDirectory;

    public async Task<LoadedClip> ClipAsync(CancellationToken ct) => ClipCheckpoint.Load(await CheckpointAsync(ModelFamily.Clip, ct), device);

    /// <summary>A zoo VLM: the zoo decoder (vlm-zoo/1-5) or the zoo LLaVA (vlm-zoo/6-7).</summary>
    public async Task<LoadedShapesVlm> VlmAsync(CancellationToken ct)
    {
        var directory = await CheckpointAsync(ModelFamily.Vlm, ct);
        if (!VlmCheckpoint.IsVlmDirectory(directory) && !ZooLlavaCheckpoint.IsZooLlavaDirectory(directory) && File.Exists(Path.Combine(directory, LlavaCheckpoint.ConfigFile)))
            throw new ArgumentException($"model '{ModelId}' is an HF LLaVA: give it your images and questions (--data FILE.jsonl); ShapesWorld prompts are for the zoo VLM");
        return ZooLlavaCheckpoint.LoadShapes(directory, device);
    }

    /// <summary>LLaVA runs on the CPU (as the model cache serves it).</summary>
    public async Task<LoadedLlava> LlavaAsync(CancellationToken ct)
    {
        var directory = await CheckpointAsync(ModelFamily.Vlm, ct);
        if (!File.Exists(Path.Combine(directory, LlavaCheckpoint.ConfigFile)))
            throw new ArgumentException($"model '{ModelId}' is not an HF LLaVA (a zoo VLM reads ShapesWorld, not user data)");
        return LlavaCheckpoint.Load(directory);
    }

    public async Task<IZooDenoiser> DiffusionAsync(CancellationToken ct) => ZooDenoiserCheckpoint.Load(await CheckpointAsync(ModelFamily.Diffusion, ct), device, artefacts.Oracles);

    /// <summary>The restored checkpoint directory of the spec's model, which must be of <paramref name="family"/>.</summary>
    Task<string> CheckpointAsync(ModelFamily family, CancellationToken ct) =>
        models.DirectoryAsync(ModelId, family, ct, $"this analysis needs a {RegistryNames.Name(family)} model");

    public async Task<AnalysisDictionary> DictionaryAsync(string? id, CancellationToken ct)
    {
        var own = id is null;
        id ??= DictionaryId ?? throw new ArgumentException($"analysis {spec.Kind} needs a dictionary (SAE)");
        var record = await registry.Dictionaries.GetAsync(id, ct) ?? throw new ArgumentException($"dictionary '{id}' is not registered");
        if (record.ModelId != ModelId)
            throw new ArgumentException($"dictionary '{id}' was trained on model '{record.ModelId}', not '{ModelId}'");
        if (own && HookPoint is { } hook && hook != record.HookPoint)
            throw new ArgumentException($"dictionary '{id}' reads hook '{record.HookPoint}', not '{hook}'");
        // The tokens its activation set held (all for a dictionary imported without one, or extracted before the option).
        var tokens = record.ActivationSetId is { } setId && await registry.ActivationSets.GetAsync(setId, ct) is { } set ? set.Tokens() : Kernels.Extraction.TokenSelection.All;
        return new AnalysisDictionary(id, record.HookPoint, SaeCheckpoint.LoadSae(await artefacts.Store.GetVerifiedPathAsync(record.CheckpointSha256, ct), device), tokens);
    }

    public Task<IImageDataset> DatasetAsync(string id, CancellationToken ct) => datasets.OpenAsync(id, ct);

    public async Task<string> ArtefactAsync(string sha256, bool directory, CancellationToken ct)
    {
        sha256 = ArtefactHash.Validate(sha256);
        if (!artefacts.Store.Contains(sha256)) throw new ArgumentException($"artefact {sha256[..12]}... is not in the store");
        return directory ? await artefacts.DirectoryAsync(sha256, ct) : await artefacts.Store.GetVerifiedPathAsync(sha256, ct);
    }
}
